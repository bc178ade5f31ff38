import { inArray, sql } from "drizzle-orm";
import { outboxEmails } from "../db/schema/index.ts";
import { idList } from "./claim.ts";
import type { OutgoingEmail, Transport } from "./transport.ts";

/**
 * The zero-config transport: emails are kept in `outbox_emails` (listed by `GET /v1/outbox`)
 * instead of leaving the machine, and one log line names the recipient and the score links so
 * that someone trying rapport locally can click them. The idempotency key is unique in the
 * table, so a retried batch stores nothing twice.
 */
export function createOutboxTransport(): Transport {
  return {
    name: "outbox",
    maxBatchSize: 100,
    readyInMs: () => 0,
    async send(ctx, _batchKey, emails) {
      const now = ctx.clock.now();
      await ctx.db
        .insert(outboxEmails)
        .values(
          emails.map((email) => ({
            invitationId: email.invitationId,
            to: email.to,
            from: email.from,
            subject: email.subject,
            html: email.html,
            text: email.text,
            headers: email.replyTo
              ? { ...email.headers, "Reply-To": email.replyTo }
              : email.headers,
            idempotencyKey: email.idempotencyKey,
            createdAt: now,
          })),
        )
        .onConflictDoNothing({ target: outboxEmails.idempotencyKey });
      // A contact erased while this batch was being built must not stay in the outbox: an
      // erasure under way is waited for (its row lock on the contact), and what it erased goes.
      // One that begins later finds these rows and removes them itself.
      const invitationIds = emails.flatMap((email) => email.invitationId ?? []);
      if (invitationIds.length > 0) {
        await ctx.db.execute(sql`
          delete from outbox_emails where invitation_id in (
            select i.id from invitations i join contacts c on c.id = i.contact_id
            where i.id in (${idList(invitationIds)}) and c.erased_at is not null
            for share of c)`);
      }
      const stored = await ctx.db
        .select({ id: outboxEmails.id, key: outboxEmails.idempotencyKey })
        .from(outboxEmails)
        .where(
          inArray(
            outboxEmails.idempotencyKey,
            emails.map((email) => email.idempotencyKey),
          ),
        );
      const idByKey = new Map(stored.map((row) => [row.key, row.id]));
      const log = ctx.logger.child({ kind: "outbox" });
      // An email just taken back for an erased contact is not named in the log either.
      for (const email of emails.filter((each) => idByKey.has(each.idempotencyKey))) {
        log.info(
          {
            to: email.to,
            emailKind: email.kind,
            links: surveyLinks(email, ctx.config.PUBLIC_BASE_URL),
          },
          `survey email to ${email.to} kept in the local outbox (GET /v1/outbox)`,
        );
      }
      return {
        kind: "accepted",
        results: emails.map((email) => ({
          providerMessageId: idByKey.get(email.idempotencyKey) ?? null,
        })),
      };
    },
  };
}

/** The score links in an email's text part, in order, without repeats. */
export function surveyLinks(email: Pick<OutgoingEmail, "text">, baseUrl: string): string[] {
  const prefix = `${baseUrl}/r/`;
  const links = email.text.match(/https?:\/\/[^\s<>"')\]]+/g) ?? [];
  return [...new Set(links.filter((link) => link.startsWith(prefix)))];
}
