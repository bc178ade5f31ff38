import { asc, eq } from "drizzle-orm";
import type { Db } from "../../src/db/client.ts";
import { invitationEvents, outboxEmails } from "../../src/db/schema/index.ts";

/** An invitation's history, oldest first. */
export function historyOf(db: Db, invitationId: string) {
  return db
    .select()
    .from(invitationEvents)
    .where(eq(invitationEvents.invitationId, invitationId))
    .orderBy(asc(invitationEvents.at));
}

/** The emails sent about an invitation (the local outbox), oldest first. */
export function emailsOf(db: Db, invitationId: string) {
  return db
    .select()
    .from(outboxEmails)
    .where(eq(outboxEmails.invitationId, invitationId))
    .orderBy(asc(outboxEmails.createdAt));
}
