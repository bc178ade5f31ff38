import { asc, eq } from "drizzle-orm";
import type { ServiceContext } from "../../src/context.ts";
import { invitationEvents, invitations, outboxEmails } from "../../src/db/schema/index.ts";
import { sendDueInvitations } from "../../src/delivery/jobs.ts";

/** Runs the survey sender until nothing is due. */
export async function sendAllDue(ctx: ServiceContext): Promise<void> {
  while ((await sendDueInvitations.runOnce(ctx)) > 0) {}
}

/** An invitation's status, send time, history types in order, and the emails kept for it. */
export async function invitationState(ctx: Pick<ServiceContext, "db">, id: string) {
  const [row] = await ctx.db.select().from(invitations).where(eq(invitations.id, id));
  const history = await ctx.db
    .select({ type: invitationEvents.type })
    .from(invitationEvents)
    .where(eq(invitationEvents.invitationId, id))
    .orderBy(asc(invitationEvents.at));
  const emails = await ctx.db.select().from(outboxEmails).where(eq(outboxEmails.invitationId, id));
  return { status: row!.status, sendAt: row!.sendAt, types: history.map((e) => e.type), emails };
}
