import { sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { contacts, invitationEvents } from "../db/schema/index.ts";
import { findByToken, type TokenTarget } from "./invitation-access.ts";

/**
 * Opts the invitation's contact out of surveys. Works on expired invitations too (people must
 * always be able to leave), and repeating it keeps the first opt-out time.
 */
export async function unsubscribe({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { token: string; via: "one-click" | "page" };
}): Promise<TokenTarget | undefined> {
  return ctx.db.transaction(async (tx) => {
    const target = await findByToken(tx, input.token);
    if (!target) return undefined;
    const now = ctx.clock.now();
    const [changed] = await tx
      .update(contacts)
      .set({ optedOutAt: now, updatedAt: now })
      .where(sql`${contacts.id} = ${target.contact.id} and ${contacts.optedOutAt} is null`)
      .returning({ id: contacts.id });
    if (changed) {
      await tx.insert(invitationEvents).values({
        invitationId: target.invitation.id,
        type: "unsubscribed",
        at: now,
        detail: { via: input.via },
      });
    }
    return target;
  });
}
