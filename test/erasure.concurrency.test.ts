import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/client.ts";
import { clicks, contacts, invitations, outboxEmails, responses } from "../src/db/schema/index.ts";
import { sendDueInvitations } from "../src/delivery/jobs.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { createInvitation } from "./support/factories.ts";
import { withRowLocked } from "./support/row-lock.ts";

let t: TestApp;
let admin: string;
let url: string | undefined;
beforeAll(async () => {
  t = await createTestApp();
  url = (t.services.database as { url?: string }).url;
  admin = await t.key("admin");
});
afterAll(() => t.close());

/** A sent invitation to a contact of its own, its link token and the contact's external id. */
async function invitationToErase() {
  t.clock.set("2026-11-18T17:05:00Z");
  const { invitation, token } = await createInvitation(t.ctx.db, await appSecret(t.ctx));
  const [contact] = await t.ctx.db
    .select({ externalId: contacts.externalId })
    .from(contacts)
    .where(eq(contacts.id, invitation.contactId));
  const erase = () =>
    t.request(`/v1/contacts/${contact!.externalId}`, { method: "DELETE", key: admin });
  return { invitation, token, erase };
}

/** Runs `first` and then the erasure while the invitation's row is held, then lets both go. */
function raceOnInvitation(
  invitationId: string,
  first: () => Promise<Response>,
  erase: () => Promise<Response>,
) {
  return withRowLocked(
    url!,
    (locker) => locker`select id from invitations where id = ${invitationId} for update`,
    [
      { start: first, waiters: 1 },
      { start: erase, waiters: 2 },
    ],
  );
}

describe("a comment posted while its contact is being erased (PostgreSQL)", () => {
  const PERSON = {
    "user-agent":
      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "accept-language": "en-GB,en;q=0.9",
  };

  it("keeps nothing the person wrote once the erasure has answered", async (context) => {
    if (!url) return context.skip();
    const { invitation, token, erase } = await invitationToErase();
    const page = await t.request(`/r/${token}/1`, { headers: PERSON });
    expect(page.status).toBe(200);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1];
    expect(csrf).toBeTruthy();

    const [commented, erased] = await raceOnInvitation(
      invitation.id,
      () =>
        t.request(`/r/${token}/comment`, {
          method: "POST",
          body: new URLSearchParams({
            csrf: csrf!,
            score: "1",
            comment: "Jane Roe here, call me on +44 7700 900123 about the printer",
          }).toString(),
          headers: {
            ...PERSON,
            "content-type": "application/x-www-form-urlencoded",
            origin: "http://rapport.test",
          },
        }),
      erase,
    );
    expect(commented!.status).toBe(200);
    expect(erased!.status).toBe(200);
    const [stored] = await t.ctx.db
      .select({ comment: responses.comment, score: responses.score })
      .from(responses)
      .where(eq(responses.invitationId, invitation.id));
    // The score stays, anonymised; what the person wrote does not.
    expect(stored!.score).toBe(1);
    expect(stored!.comment).toBeNull();
  });

  it("a first click and the erasure of its contact both answer, neither with a 500", async (context) => {
    if (!url) return context.skip();
    const { invitation, token, erase } = await invitationToErase();
    const [clicked, erased] = await raceOnInvitation(
      invitation.id,
      () => t.request(`/r/${token}/3`, { headers: PERSON }),
      erase,
    );
    expect({ click: clicked!.status, erasure: erased!.status }).toEqual({
      click: 200,
      erasure: 200,
    });
  });

  it("keeps no request details of a click recorded while the erasure ran", async (context) => {
    if (!url) return context.skip();
    const { invitation, token, erase } = await invitationToErase();
    expect((await t.request(`/r/${token}/3`, { headers: PERSON })).status).toBe(200);
    // A minute later, within the edit window, the person changes their answer.
    t.clock.set("2026-11-18T17:06:00Z");
    const [clicked, erased] = await raceOnInvitation(
      invitation.id,
      () => t.request(`/r/${token}/2`, { headers: PERSON }),
      erase,
    );
    expect(clicked!.status).toBe(200);
    expect(erased!.status).toBe(200);
    const kept = await t.ctx.db
      .select({ userAgent: clicks.userAgent, ipHash: clicks.ipHash, lang: clicks.acceptLanguage })
      .from(clicks)
      .where(eq(clicks.invitationId, invitation.id));
    expect(kept).toHaveLength(2);
    expect(kept).toEqual([
      { userAgent: null, ipHash: null, lang: null },
      { userAgent: null, ipHash: null, lang: null },
    ]);
  });
});

describe("an erasure while the worker's batch to its contact is in flight (PostgreSQL)", () => {
  it("leaves nothing of them in the local outbox, whichever stores last", async (context) => {
    if (!url) return context.skip();
    // The worker is another process: its own connections.
    const workerPool = await openDatabase({ driver: "postgres", url, poolSize: 2 });
    try {
      t.clock.set("2026-11-18T17:00:00Z");
      const { invitation, erase } = await invitationToErase();
      await t.ctx.db
        .update(invitations)
        .set({ status: "scheduled", sentAt: null, nextAttemptAt: t.clock.now() })
        .where(eq(invitations.id, invitation.id));
      const [{ email }] = (await t.ctx.db
        .select({ email: contacts.email })
        .from(contacts)
        .where(eq(contacts.id, invitation.contactId))) as [{ email: string }];
      // The worker has built the email and waits to store it (a row with its key, not yet
      // committed), while the erasure runs and answers; then the worker stores it.
      const [, erased] = await withRowLocked<unknown>(
        url,
        (locker) => locker`insert into outbox_emails (invitation_id, "to", "from", subject, html,
            text, idempotency_key)
          values (null, 'x@example.com', 'x@example.com', 's', 'h', 't', ${`invitation/${invitation.id}`})`,
        [
          {
            start: () => sendDueInvitations.runOnce({ ...t.ctx, db: workerPool.db }),
            waiters: 1,
          },
          { start: erase, finishes: true },
        ],
        { release: "rollback" },
      );
      expect((erased as Response).status).toBe(200);
      const kept = await t.ctx.db
        .select({ id: outboxEmails.id })
        .from(outboxEmails)
        .where(sql`${outboxEmails.to} = ${email} or ${outboxEmails.html} like ${`%${email}%`}`);
      expect(kept).toEqual([]);
    } finally {
      await workerPool.close();
    }
  });
});
