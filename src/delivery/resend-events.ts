import { eq, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { ServiceContext } from "../context.ts";
import { contacts, invitationEvents, invitations } from "../db/schema/index.ts";

/** The part of a Resend webhook event rapport reads; everything else is kept in the event. */
export const ResendEvent = z.object({
  type: z.string(),
  created_at: z.string().optional(),
  data: z
    .object({
      email_id: z.string().optional(),
      bounce: z.object({ type: z.string().optional(), message: z.string().optional() }).optional(),
    })
    .loose()
    .optional(),
});
export type ResendEvent = z.infer<typeof ResendEvent>;

export type ResendEventOutcome = "recorded" | "unknown_email" | "ignored";

/**
 * Applies a verified Resend event to the invitation whose survey or reminder email it is about:
 * `email.delivered` and `email.opened` are recorded on the invitation, a permanent
 * `email.bounced` and `email.complained` suppress the contact for every later survey. Every
 * email event lands in the invitation's history.
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
    const [invitation] = await tx
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
    if (!invitation) return "unknown_email";
    const email = invitation.providerMessageId === emailId ? "survey" : "reminder";
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
    if (permanentBounce || type === "complained") {
      const column = permanentBounce ? contacts.bouncedAt : contacts.complainedAt;
      await tx
        .update(contacts)
        .set({
          [permanentBounce ? "bouncedAt" : "complainedAt"]:
            sql`coalesce(${column}, ${now.toISOString()}::timestamptz)`,
          updatedAt: now,
        })
        .where(eq(contacts.id, invitation.contactId));
    }
    await tx.insert(invitationEvents).values({
      invitationId: invitation.id,
      type,
      at,
      detail: {
        source: "resend",
        email,
        providerMessageId: emailId,
        deliveryId,
        ...(event.data?.bounce ? { bounce: event.data.bounce } : {}),
        ...(permanentBounce || type === "complained" ? { suppressedContact: true } : {}),
      },
    });
    return "recorded";
  });
}
