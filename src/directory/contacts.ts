import { randomUUID } from "node:crypto";
import { and, asc, eq, getTableColumns, inArray, or, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import {
  clicks,
  clients,
  contacts,
  invitationEvents,
  invitations,
  outboxEmails,
  responses,
} from "../db/schema/index.ts";
import { ApiError } from "../http/errors.ts";
import { EMAIL_SHAPED } from "../security/email-shaped.ts";
import { requiredToCreate } from "./clients.ts";
import { erasedContactKey } from "./erased-key.ts";
import { afterCursor, cursorAt, type Page, type PageRequest, toPage } from "./pagination.ts";

type Ctx = Pick<ServiceContext, "db" | "clock">;

/** A contact with the external id of its client. */
export type ContactView = typeof contacts.$inferSelect & { clientExternalId: string };

export interface ContactInput {
  externalId: string;
  /** Needed to create a contact; an update may leave it out (the contact stays with its client). */
  clientExternalId?: string | undefined;
  email?: string | null | undefined;
  name?: string | null | undefined;
  locale?: string | null | undefined;
  optedOut?: boolean | undefined;
}

const view = { ...getTableColumns(contacts), clientExternalId: clients.externalId };

async function findClientId(ctx: Pick<ServiceContext, "db">, externalId: string) {
  const [client] = await ctx.db
    .select({ id: clients.id })
    .from(clients)
    .where(eq(clients.externalId, externalId));
  if (!client) {
    throw new ApiError("validation_failed", "Invalid body: clientExternalId names no client.", {
      errors: [{ path: "clientExternalId", message: "no client has this externalId", in: "body" }],
    });
  }
  return client.id;
}

/**
 * Creates or updates a contact. Fields left out keep their value; a new email address clears
 * the old address's bounce and complaint; `optedOut` records or withdraws an opt-out.
 */
export async function putContact({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: ContactInput;
}): Promise<{ contact: ContactView; created: boolean }> {
  const clientId =
    input.clientExternalId === undefined
      ? undefined
      : await findClientId(ctx, input.clientExternalId);
  const now = ctx.clock.now();
  return ctx.db.transaction(async (db) => {
    // An erased contact no longer has the id, only its hash.
    const [existing] = await db
      .select()
      .from(contacts)
      .where(
        or(
          eq(contacts.externalId, input.externalId),
          eq(contacts.erasedKey, erasedContactKey(input.externalId)),
        ),
      )
      .for("update");
    if (existing?.erasedAt) {
      throw new ApiError("conflict", "This contact was erased; its id cannot be reused.");
    }
    if (!existing && clientId === undefined) throw requiredToCreate("clientExternalId", "contact");
    const emailChanged =
      input.email !== undefined &&
      (input.email ?? "").toLowerCase() !== (existing?.email ?? "").toLowerCase();
    const changes = {
      ...(clientId !== undefined ? { clientId } : {}),
      // The newest word on the contact's details (client, email, name, locale): older events do
      // not set them back. Only a write of those is one (an opt-out alone says nothing of them).
      ...(clientId !== undefined ||
      input.email !== undefined ||
      input.name !== undefined ||
      input.locale !== undefined ||
      !existing
        ? { detailsAt: now }
        : {}),
      ...(input.email !== undefined ? { email: input.email } : {}),
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.locale !== undefined ? { locale: input.locale } : {}),
      ...(emailChanged ? { bouncedAt: null, complainedAt: null } : {}),
      ...(input.optedOut === true ? { optedOutAt: existing?.optedOutAt ?? now } : {}),
      ...(input.optedOut === false ? { optedOutAt: null } : {}),
      updatedAt: now,
    };
    // The row is locked: it is updated, or made anew (a concurrent create waits on the index).
    const [row] = existing
      ? await db
          .update(contacts)
          .set(changes)
          .where(eq(contacts.id, existing.id))
          .returning({ id: contacts.id, created: sql<boolean>`false` })
      : await db
          .insert(contacts)
          .values({ externalId: input.externalId, clientId: clientId!, createdAt: now, ...changes })
          .onConflictDoUpdate({ target: contacts.externalId, set: changes })
          .returning({ id: contacts.id, created: sql<boolean>`(xmax = 0)` });
    const contact = await getContactBy(db, eq(contacts.id, row!.id));
    return { contact: contact!, created: row!.created };
  });
}

async function getContactBy(db: Ctx["db"], where: ReturnType<typeof eq>) {
  const [row] = await db
    .select(view)
    .from(contacts)
    .innerJoin(clients, eq(clients.id, contacts.clientId))
    .where(where);
  return row;
}

export async function getContact({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db">;
  input: { externalId: string };
}): Promise<ContactView | undefined> {
  return getContactBy(ctx.db, eq(contacts.externalId, input.externalId));
}

export async function listContacts({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db">;
  input: PageRequest & { clientExternalId?: string | undefined };
}): Promise<Page<ContactView>> {
  const rows = await ctx.db
    .select({ ...view, cursorAt: cursorAt(contacts.createdAt) })
    .from(contacts)
    .innerJoin(clients, eq(clients.id, contacts.clientId))
    .where(
      and(
        afterCursor(contacts.createdAt, contacts.id, input.cursor),
        input.clientExternalId ? eq(clients.externalId, input.clientExternalId) : undefined,
      ),
    )
    .orderBy(asc(contacts.createdAt), asc(contacts.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, ({ cursorAt: _, ...row }) => row);
}

/**
 * Erases a contact's personal data: email, name and locale go, the external id becomes an
 * opaque `erased-<uuid>`, their comments and their details in stored events, webhook deliveries,
 * kept PSA deliveries and local outbox emails are removed, and unsent invitations are cancelled.
 * The rows stay, so their scores keep counting, anonymised.
 */
export async function eraseContact({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: { externalId: string };
}): Promise<ContactView | undefined> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (db) => {
    // Their invitations first, in the order clicks and comments take them (the invitation, then
    // the contact by key): one under way ends before the scrubbing below reads what it wrote,
    // and none waits for this erasure while holding what the erasure waits for.
    await db.execute(sql`select 1 from invitations
      where contact_id = (select id from contacts where external_id = ${input.externalId})
      order by id for no key update`);
    // What identified them, read under the row lock before it goes: their address and comments
    // are looked for in copies kept elsewhere.
    const [known] = await db
      .select({ email: contacts.email })
      .from(contacts)
      .where(eq(contacts.externalId, input.externalId))
      .for("update");
    // Erasing again (a retried request, or the `erased-<uuid>` id the list shows) scrubs again
    // but keeps the erasure's id, time and the hash of the PSA's id: replacing that hash with
    // one of `erased-<uuid>` would let the PSA's next event bring the person back.
    const [erased] = await db
      .update(contacts)
      .set({
        externalId: sql`case when ${contacts.erasedAt} is null then ${`erased-${randomUUID()}`} else ${contacts.externalId} end`,
        email: null,
        name: null,
        locale: null,
        erasedAt: sql`coalesce(${contacts.erasedAt}, ${now.toISOString()}::timestamptz)`,
        erasedKey: sql`case when ${contacts.erasedAt} is null then ${erasedContactKey(input.externalId)} else ${contacts.erasedKey} end`,
        updatedAt: now,
      })
      .where(eq(contacts.externalId, input.externalId))
      .returning({ id: contacts.id, externalId: contacts.externalId });
    // Erased already under the PSA's id, which is now known only by its hash: nothing to do.
    if (!erased)
      return getContactBy(db, eq(contacts.erasedKey, erasedContactKey(input.externalId)));
    const withComment = and(
      eq(responses.contactId, erased.id),
      sql`${responses.comment} is not null`,
    );
    // As digests quote them (trimmed); a comment too short to tell apart ("ok", "thanks")
    // identifies no one and would match other people's digests.
    const comments = (
      await db.select({ comment: responses.comment }).from(responses).where(withComment)
    ).flatMap((row) => {
      const quoted = row.comment?.trim() ?? "";
      return quoted.length >= 12 ? [quoted] : [];
    });
    await db.update(responses).set({ comment: null, updatedAt: now }).where(withComment);
    // Webhook deliveries carry the response as it was, also those still queued.
    await db.execute(sql`
      update webhook_deliveries set payload = case
          when payload -> 'data' ? 'previous'
            then jsonb_set(jsonb_set(payload, '{data,response,comment}', 'null'),
              '{data,previous,comment}', 'null')
          else jsonb_set(payload, '{data,response,comment}', 'null') end
      where payload -> 'data' -> 'response' ->> 'contactId' = ${erased.id}`);
    if (known?.email) {
      const address = known.email.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      // Deliveries a PSA sent that could not be mapped keep the body as received: a replay
      // would bring the person back. The ones naming their address go (the whole address, not
      // a longer one that ends with it: bo@ in jimbo@, or .example in .example.org; a full stop
      // ending a sentence is no part of it).
      await db.execute(sql`
        delete from dead_letters
        where body ~* ${`(^|[^a-z0-9._%+-])${address}($|[^a-z0-9.-]|[.]($|[^a-z0-9-]))`}`);
    }
    // The history of their emails keeps what happened, not the provider's words about an address
    // (a bounce's "550 <priya@...>: recipient rejected", an error quoting it): every address in
    // it is theirs, the one on file or one they had before.
    await db.execute(sql`
      update invitation_events
      set detail = regexp_replace(detail::text, ${EMAIL_SHAPED}, '[erased]', 'g')::jsonb
      where invitation_id in (select id from invitations where contact_id = ${erased.id})
        and detail::text ~ ${EMAIL_SHAPED}`);
    await db.execute(sql`
      update invitations set last_error = regexp_replace(last_error, ${EMAIL_SHAPED}, '[erased]', 'g')
      where contact_id = ${erased.id} and last_error ~ ${EMAIL_SHAPED}`);
    // Weekly digests kept by the local outbox quote comments.
    if (comments.length > 0) {
      const list = sql.join(
        comments.map((comment) => sql`${comment}::text`),
        sql`, `,
      );
      await db.execute(sql`
        delete from outbox_emails where invitation_id is null
          and exists (select 1 from unnest(array[${list}]) as c(text)
            where strpos(outbox_emails.text, c.text) > 0 or strpos(outbox_emails.html, c.text) > 0)`);
    }
    // Stored events keep the payload as received: their copy of the contact goes too. Erasure
    // is rare, so scanning the events table is acceptable here.
    await db.execute(sql`
      update events set payload = jsonb_set(payload, '{contact}', ${JSON.stringify({ externalId: erased.externalId })}::jsonb)
      where payload -> 'contact' ->> 'externalId' = ${input.externalId}`);
    // Emails kept by the local outbox, and the request details of the contact's clicks (the
    // clicks themselves stay as evidence behind the scores), hold personal data too.
    const theirInvitations = db
      .select({ id: invitations.id })
      .from(invitations)
      .where(eq(invitations.contactId, erased.id));
    await db.delete(outboxEmails).where(inArray(outboxEmails.invitationId, theirInvitations));
    await db
      .update(clicks)
      .set({ userAgent: null, acceptLanguage: null, ipHash: null })
      .where(inArray(clicks.invitationId, theirInvitations));
    // The click windows name senders by those details: unknown now, rebuilt by the next click
    // (the version bump makes a click decided on an earlier snapshot decide again).
    await db
      .update(invitations)
      .set({ clickWindow: null, clickVersion: sql`${invitations.clickVersion} + 1` })
      .where(eq(invitations.contactId, erased.id));
    const cancelled = await db
      .update(invitations)
      .set({ status: "cancelled", updatedAt: now })
      .where(and(eq(invitations.contactId, erased.id), eq(invitations.status, "scheduled")))
      .returning({ id: invitations.id });
    if (cancelled.length > 0) {
      await db.insert(invitationEvents).values(
        cancelled.map((row) => ({
          invitationId: row.id,
          type: "cancelled",
          at: now,
          detail: { reason: "contact_erased" },
        })),
      );
    }
    return getContactBy(db, eq(contacts.id, erased.id));
  });
}
