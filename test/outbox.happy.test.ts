import { Writable } from "node:stream";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invitations, outboxEmails } from "../src/db/schema/index.ts";
import { sendDueInvitations } from "../src/delivery/jobs.ts";
import { createLogger } from "../src/logger.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";
import { createContact, createInvitation } from "./support/factories.ts";

let t: TestApp;
let admin: string;

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.key("admin");
});
afterAll(() => t.close());

/** Runs the worker job with a logger whose lines the test can read. */
async function sendWithLog() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).trim().split("\n"));
      done();
    },
  });
  const ctx = { ...t.ctx, logger: createLogger("info", sink) };
  while ((await sendDueInvitations.runOnce(ctx)) > 0) {}
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function dueFor(email: string) {
  const contact = await createContact(t.ctx.db, { email, name: "Priya Raman" });
  return (
    await createInvitation(t.ctx.db, await appSecret(t.ctx), {
      status: "scheduled",
      sentAt: null,
      contactId: contact.id,
      clientId: contact.clientId,
    })
  ).invitation;
}

describe("the local outbox (no Resend configured)", () => {
  it("keeps the rendered email, marks the invitation sent and logs one line with the links", async () => {
    const invitation = await dueFor("priya@acme.example");
    const log = await sendWithLog();
    const [stored] = await t.ctx.db
      .select()
      .from(outboxEmails)
      .where(eq(outboxEmails.invitationId, invitation.id));
    expect(stored!.to).toBe("priya@acme.example");
    expect(stored!.from).toContain("<surveys@example.com>");
    expect(stored!.subject.length).toBeGreaterThan(0);
    expect(stored!.html).toContain("http://rapport.test/r/");
    expect(stored!.text).toContain("http://rapport.test/r/");
    expect(stored!.headers["List-Unsubscribe"]).toMatch(/^<http:\/\/rapport\.test\/u\//);
    expect(stored!.idempotencyKey).toBe(`invitation/${invitation.id}`);

    const [row] = await t.ctx.db
      .select()
      .from(invitations)
      .where(eq(invitations.id, invitation.id));
    expect(row!.status).toBe("sent");
    expect(row!.providerMessageId).toBe(stored!.id);

    const lines = log.filter((line) => line.kind === "outbox");
    expect(lines).toHaveLength(1);
    expect(lines[0]!.to).toBe("priya@acme.example");
    const links = lines[0]!.links as string[];
    expect(links).toHaveLength(3); // csat3: one link per face
    for (const link of links) expect(stored!.text).toContain(link);
  });

  it("lists stored emails newest first, page by page, and filters by recipient", async () => {
    for (const address of ["a@one.example", "b@two.example", "c@three.example"]) {
      t.clock.advance(60_000);
      await dueFor(address);
      await sendWithLog();
    }
    const first = await t.request("/v1/outbox?limit=2", { key: admin });
    expect(first.status).toBe(200);
    const page1 = await first.json();
    expect(page1.data.map((email: { to: string }) => email.to)).toEqual([
      "c@three.example",
      "b@two.example",
    ]);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = await (
      await t.request(`/v1/outbox?limit=2&cursor=${page1.nextCursor}`, { key: admin })
    ).json();
    expect(page2.data.map((email: { to: string }) => email.to)).toEqual([
      "a@one.example",
      "priya@acme.example",
    ]);
    expect(page2.nextCursor).toBeNull();

    const filtered = await (await t.request("/v1/outbox?to=B@Two.example", { key: admin })).json();
    expect(filtered.data).toHaveLength(1);
    expect(filtered.data[0].to).toBe("b@two.example");
  });

  it("needs an admin key", async () => {
    expect((await t.request("/v1/outbox")).status).toBe(401);
    const reader = await t.key("responses:read");
    const response = await t.request("/v1/outbox", { key: reader });
    expect(response.status).toBe(403);
  });

  it("refuses a cursor it did not make and a limit out of range, naming the field", async () => {
    const bad = await t.request("/v1/outbox?cursor=nonsense", { key: admin });
    expect(bad.status).toBe(400);
    expect((await problemOf(bad)).errors?.[0]?.path).toBe("cursor");
    const big = await t.request("/v1/outbox?limit=500", { key: admin });
    expect(big.status).toBe(400);
    expect((await problemOf(big)).errors?.[0]?.path).toBe("limit");
  });
});
