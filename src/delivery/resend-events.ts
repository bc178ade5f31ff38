import { and, eq, inArray, isNull, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { ServiceContext } from "../context.ts";
import { contacts, invitationEvents, invitations } from "../db/schema/index.ts";
import { UUID } from "../http/page-cursor.ts";
import { withoutEmails } from "../security/email-shaped.ts";

/** The part of a Resend webhook event rapport reads; everything else is kept in the event. */
export const ResendEvent = z.object({
  type: z.string(),
  created_at: z.string().optional(),
  data: z
    .object({
      email_id: z.string().optional(),
      // The address(es) the email went to, as they were when it was sent.
      to: z
        .union([z.array(z.string()), z.string()])
        .optional()
        .catch(undefined),
      bounce: z.object({ type: z.string().optional(), message: z.string().optional() }).optional(),
      // The tags sent with the email: a map of names to values, or a list of {name, value}.
      tags: z
        .union([
          z.record(z.string(), z.unknown()),
          z.array(z.object({ name: z.string(), value: z.unknown() }).loose()),
        ])
        .optional()
        .catch(undefined),
    })
    .loose()
    .optional(),
});
export type ResendEvent = z.infer<typeof ResendEvent>;

export type ResendEventOutcome = "recorded" | "unknown_email" | "ignored";

/**
 * Applies a verified Resend event to the invitation whose survey or reminder email it is about:
 * `email.delivered` and `email.opened` are recorded on the invitation, a permanent
 * `email.bounced` and `email.complained` suppress the contact for every later survey (when the
 * event names its recipients, only if they include the contact's current address). Every
 * email event lands in the invitation's history, once per delivery.
 */
export async function applyResendEvent({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { event: ResendEvent; deliveryId: string };
}): Promise<ResendEventOutcome> {
  const { event, deliveryId } = input;
  const emailId = event.data?.email_id;
  if (!event.type.startsWith("email.") || !emailId) return "ignored";
  const now = ctx.clock.now();
  const reported = event.created_at ? new Date(event.created_at) : now;
  const at = Number.isNaN(reported.getTime()) ? now : reported;

  return ctx.db.transaction(async (tx) => {
    const found = await emailOf(tx, emailId, event.data?.tags);
    if (!found) return "unknown_email";
    const { invitation, email } = found;
    if (deliveryId && (await alreadyApplied(tx, invitation.id, deliveryId))) return "recorded";
    const type = event.type.slice("email.".length);
    const permanentBounce =
      type === "bounced" && /^permanent$/i.test(event.data?.bounce?.type ?? "");

    if (type === "delivered" && email === "survey") {
      await tx
        .update(invitations)
        .set({
          deliveredAt: sql`coalesce(${invitations.deliveredAt}, ${at.toISOString()}::timestamptz)`,
        })
        .where(eq(invitations.id, invitation.id));
    }
    if (type === "opened") {
      await tx
        .update(invitations)
        .set({ openedAt: sql`coalesce(${invitations.openedAt}, ${at.toISOString()}::timestamptz)` })
        .where(eq(invitations.id, invitation.id));
    }
    let suppressedContact = false;
    if (permanentBounce || type === "complained") {
      const column = permanentBounce ? contacts.bouncedAt : contacts.complainedAt;
      const recipients = [event.data?.to ?? []].flat().map((to) => to.toLowerCase());
      const suppressed = await tx
        .update(contacts)
        .set({
          [permanentBounce ? "bouncedAt" : "complainedAt"]:
            sql`coalesce(${column}, ${now.toISOString()}::timestamptz)`,
          updatedAt: now,
        })
        .where(
          and(
            eq(contacts.id, invitation.contactId),
            // A late event about an address the contact has since corrected says nothing of the
            // address they have now.
            recipients.length > 0 ? inArray(sql`lower(${contacts.email})`, recipients) : undefined,
          ),
        )
        .returning({ id: contacts.id });
      suppressedContact = suppressed.length > 0;
    }
    const bounce =
      event.data?.bounce && (await bounceToKeep(tx, invitation.contactId, event.data.bounce));
    await tx.insert(invitationEvents).values({
      invitationId: invitation.id,
      type,
      at,
      detail: {
        source: "resend",
        email,
        providerMessageId: emailId,
        deliveryId,
        ...(bounce ? { bounce } : {}),
        ...(suppressedContact ? { suppressedContact: true } : {}),
      },
    });
    return "recorded";
  });
}

type Tx = ServiceContext["db"];

/**
 * A bounce as kept in the history: for a contact erased since the email went out, without the
 * address its message quotes (erasure scrubbed the history before it; nothing may write it back).
 */
async function bounceToKeep(
  tx: Tx,
  contactId: string,
  bounce: NonNullable<NonNullable<ResendEvent["data"]>["bounce"]>,
) {
  if (!bounce.message) return bounce;
  const [contact] = await tx
    .select({ erasedAt: contacts.erasedAt })
    .from(contacts)
    .where(eq(contacts.id, contactId));
  return contact?.erasedAt ? { ...bounce, message: withoutEmails(bounce.message) } : bounce;
}

/**
 * Whether this delivery (Resend's retries of one keep its svix-id) was applied already. The
 * invitation's row lock, held to the commit, makes two copies arriving at once take turns, so
 * the second sees the first's history entry.
 */
async function alreadyApplied(tx: Tx, invitationId: string, deliveryId: string) {
  await tx
    .select({ id: invitations.id })
    .from(invitations)
    .where(eq(invitations.id, invitationId))
    .for("update");
  const [seen] = await tx
    .select({ id: invitationEvents.id })
    .from(invitationEvents)
    .where(
      and(
        eq(invitationEvents.invitationId, invitationId),
        sql`${invitationEvents.detail}->>'deliveryId' = ${deliveryId}`,
      ),
    )
    .limit(1);
  return seen !== undefined;
}

/** A tag's value from either form Resend reports tags in. */
function tagOf(tags: NonNullable<ResendEvent["data"]>["tags"], name: string): string | undefined {
  const value = Array.isArray(tags) ? tags.find((tag) => tag.name === name)?.value : tags?.[name];
  return typeof value === "string" ? value : undefined;
}

/**
 * The invitation and which of its emails an event is about: by the provider's email id, or,
 * for an email whose id rapport never learned (its batch was accepted by an attempt whose
 * answer was lost), by the `invitation_id` and `email_kind` tags it was sent with; the id is
 * then kept for the email's later events.
 */
async function emailOf(
  tx: Tx,
  emailId: string,
  tags: NonNullable<ResendEvent["data"]>["tags"],
): Promise<{ invitation: { id: string; contactId: string }; email: "survey" | "reminder" } | null> {
  const [byId] = await tx
    .select({
      id: invitations.id,
      contactId: invitations.contactId,
      providerMessageId: invitations.providerMessageId,
    })
    .from(invitations)
    .where(
      or(
        eq(invitations.providerMessageId, emailId),
        eq(invitations.reminderProviderMessageId, emailId),
      ),
    )
    .limit(1);
  if (byId) {
    return { invitation: byId, email: byId.providerMessageId === emailId ? "survey" : "reminder" };
  }
  const invitationId = tagOf(tags, "invitation_id");
  const kind = tagOf(tags, "email_kind");
  if (!invitationId || !UUID.test(invitationId) || (kind !== "survey" && kind !== "reminder")) {
    return null;
  }
  const column =
    kind === "survey" ? invitations.providerMessageId : invitations.reminderProviderMessageId;
  const [adopted] = await tx
    .update(invitations)
    .set(
      kind === "survey" ? { providerMessageId: emailId } : { reminderProviderMessageId: emailId },
    )
    .where(
      and(
        eq(invitations.id, invitationId),
        isNull(column),
        // Only an email rapport sent: a survey email, or a reminder, recorded as sent, still
        // being sent (Resend's answer was lost and the batch waits for its retry: the event
        // proves the email went out, and a bounce must not wait for the retry to count), or
        // cancelled before that retry (the survey paused, the invitation expired): the email
        // had gone out all the same, and its bounce or complaint still suppresses the contact.
        inArray(kind === "survey" ? invitations.status : invitations.reminderStatus, [
          "sending",
          "sent",
          "cancelled",
        ]),
      ),
    )
    .returning({ id: invitations.id, contactId: invitations.contactId });
  return adopted ? { invitation: adopted, email: kind } : null;
}
