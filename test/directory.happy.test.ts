import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  clicks,
  contacts,
  deadLetters,
  events as eventsTable,
  invitations,
  outboxEmails,
  responses,
  webhookDeliveries,
  webhookSubscriptions,
  workItems,
} from "../src/db/schema/index.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { canonicalEvent, createInvitation, createResponse } from "./support/factories.ts";
import { withRowLocked } from "./support/row-lock.ts";

let t: TestApp;
let writer: string;
let reader: string;
beforeAll(async () => {
  t = await createTestApp();
  writer = await t.key("directory:write");
  reader = await t.key("responses:read");
});
afterAll(() => t.close());

function put(path: string, json: unknown) {
  return t.request(path, { method: "PUT", key: writer, json });
}
async function get(path: string) {
  const response = await t.request(path, { key: reader });
  expect(response.status).toBe(200);
  return response.json();
}

describe("clients", () => {
  it("PUT creates then updates, keeping what is left out", async () => {
    const created = await put("/v1/clients/250", {
      name: "Acme Dental",
      activeSince: "2024-03-01T00:00:00Z",
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      externalId: "250",
      name: "Acme Dental",
      activeSince: "2024-03-01T00:00:00.000Z",
      endedAt: null,
      excludeFromSurveys: false,
    });
    const updated = await put("/v1/clients/250", {
      name: "Acme Dental Group",
      endedAt: "2026-10-31T00:00:00Z",
      excludeFromSurveys: true,
    });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({
      name: "Acme Dental Group",
      activeSince: "2024-03-01T00:00:00.000Z",
      endedAt: "2026-10-31T00:00:00.000Z",
      excludeFromSurveys: true,
    });
  });

  it("a PUT may leave out the name or client it only needs to create the record", async () => {
    expect((await put("/v1/clients/partial-250", { name: "Acme Dental Group" })).status).toBe(201);
    expect(
      (await put("/v1/contacts/partial-1733", { clientExternalId: "partial-250" })).status,
    ).toBe(201);
    expect((await put("/v1/teams/partial-desk", { name: "Front Desk" })).status).toBe(201);
    expect((await put("/v1/members/partial-jl", { name: "Jordan Lopez" })).status).toBe(201);
    const updated = await Promise.all([
      put("/v1/clients/partial-250", { excludeFromSurveys: true }),
      put("/v1/contacts/partial-1733", { optedOut: true }),
      put("/v1/teams/partial-desk", { leadEmail: "lead@msp.example" }),
      put("/v1/members/partial-jl", { teamKey: "projects" }),
    ]);
    expect(updated.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    const [client, contact, team, member] = await Promise.all(
      updated.map((response) => response.json()),
    );
    expect(client).toMatchObject({ name: "Acme Dental Group", excludeFromSurveys: true });
    expect(contact).toMatchObject({ clientExternalId: "partial-250" });
    expect(contact.optedOutAt).not.toBeNull();
    expect(team).toMatchObject({ name: "Front Desk", leadEmail: "lead@msp.example" });
    expect(member).toMatchObject({ name: "Jordan Lopez", teamKey: "projects" });
    // Creating needs them: a client its name, a contact its client; a team and a member are
    // named after their key or id, as intake names them.
    for (const [path, field] of [
      ["/v1/clients/partial-new", "name"],
      ["/v1/contacts/partial-new", "clientExternalId"],
    ] as const) {
      const refused = await put(path, {});
      expect(refused.status).toBe(400);
      expect((await refused.json()).errors[0].path).toBe(field);
      expect((await t.request(path, { key: reader })).status).toBe(404);
    }
    expect(await (await put("/v1/teams/partial-new-desk", {})).json()).toMatchObject({
      name: "Partial New Desk",
    });
    expect(await (await put("/v1/members/partial-new-jl", {})).json()).toMatchObject({
      name: "partial-new-jl",
    });
  });

  it("GET shows the client with its contacts", async () => {
    await put("/v1/clients/251", { name: "Bolt Logistics" });
    await put("/v1/contacts/c-1", {
      clientExternalId: "251",
      email: "ana@bolt.example",
      name: "Ana",
      locale: "pt-BR",
    });
    const client = await get("/v1/clients/251");
    expect(client.contacts).toHaveLength(1);
    expect(client.contacts[0]).toMatchObject({
      externalId: "c-1",
      clientExternalId: "251",
      email: "ana@bolt.example",
      optedOutAt: null,
      bouncedAt: null,
    });
  });
});

describe("contacts", () => {
  it("show opt-out and bounce state; a new address clears the bounce", async () => {
    await put("/v1/clients/252", { name: "Cobalt Law" });
    await put("/v1/contacts/c-2", { clientExternalId: "252", email: "old@cobalt.example" });
    await t.ctx.db
      .update(contacts)
      .set({ bouncedAt: t.clock.now() })
      .where(eq(contacts.externalId, "c-2"));
    expect((await get("/v1/contacts/c-2")).bouncedAt).toBe(t.clock.now().toISOString());

    const optedOut = await put("/v1/contacts/c-2", { clientExternalId: "252", optedOut: true });
    expect(await optedOut.json()).toMatchObject({
      optedOutAt: t.clock.now().toISOString(),
      bouncedAt: t.clock.now().toISOString(),
      email: "old@cobalt.example",
    });
    const moved = await put("/v1/contacts/c-2", {
      clientExternalId: "252",
      email: "new@cobalt.example",
      optedOut: false,
    });
    expect(await moved.json()).toMatchObject({ optedOutAt: null, bouncedAt: null });
  });

  it("lists a client's contacts only when asked", async () => {
    const page = await get("/v1/contacts?clientExternalId=251");
    expect(page.data.map((c: { externalId: string }) => c.externalId)).toEqual(["c-1"]);
  });

  it("DELETE erases personal data but keeps the scores, anonymised", async () => {
    await put("/v1/clients/253", { name: "Delta Dental" });
    const created = await (
      await put("/v1/contacts/c-3", {
        clientExternalId: "253",
        email: "eve@delta.example",
        name: "Eve",
        locale: "de",
      })
    ).json();
    const secret = await appSecret(t.ctx);
    const { invitation } = await createInvitation(t.ctx.db, secret, {
      contactId: created.id,
      clientId: (await get("/v1/clients/253")).id,
    });
    const pending = await createInvitation(t.ctx.db, secret, {
      contactId: created.id,
      clientId: invitation.clientId,
      status: "scheduled",
      sentAt: null,
    });
    const response = await createResponse(t.ctx.db, {
      invitationId: invitation.id,
      surveyId: invitation.surveyId,
      clientId: invitation.clientId,
      contactId: created.id,
      scale: "csat3",
      score: 3,
      // Stored as sent (an API caller's trailing newline); digests quote it trimmed.
      comment: "Eve here, thanks!\n",
    });

    await t.ctx.db.insert(outboxEmails).values({
      invitationId: invitation.id,
      to: "eve@delta.example",
      from: "surveys@msp.example",
      subject: "How did we do?",
      html: "<p>Hello Eve</p>",
      text: "Hello Eve",
      idempotencyKey: `invitation/${invitation.id}`,
    });
    await t.ctx.db.insert(clicks).values({
      invitationId: invitation.id,
      score: 3,
      verdict: "recorded",
      userAgent: "Mozilla/5.0 (Eve's phone)",
      acceptLanguage: "de-DE",
      ipHash: "a1b2c3",
    });
    // Copies kept elsewhere: a queued webhook delivery of the changed answer, a PSA delivery
    // kept as a dead letter, a weekly digest in the local outbox quoting the comment. And the
    // same kinds of rows about someone else, which stay.
    const [subscription] = await t.ctx.db
      .insert(webhookSubscriptions)
      .values({
        url: "https://hooks.example/x",
        eventTypes: ["response.changed"],
        encryptedSecret: "x",
      })
      .returning();
    const delivery = (contactId: string, comment: string) => ({
      subscriptionId: subscription!.id,
      eventId: randomUUID(),
      eventType: "response.changed" as const,
      nextAttemptAt: t.clock.now(),
      payload: {
        type: "response.changed",
        data: { response: { contactId, comment }, previous: { score: 2, comment } },
      },
    });
    await t.ctx.db
      .insert(webhookDeliveries)
      .values([delivery(created.id, "Eve here, thanks!"), delivery(randomUUID(), "Zoe's note")]);
    const letter = (email: string) => ({
      source: "halopsa:x",
      reason: "unmapped team",
      body: JSON.stringify({ ticket: { user_emailaddress: email } }),
    });
    await t.ctx.db
      .insert(deadLetters)
      .values([
        letter("EVE@delta.example"),
        letter("zoe@delta.example"),
        letter("steve@delta.example"),
      ]);
    const digest = (text: string) => ({
      invitationId: null,
      to: "lead@msp.example",
      from: "surveys@msp.example",
      subject: "Weekly digest",
      html: `<p>${text}</p>`,
      text,
      idempotencyKey: `digest/${randomUUID()}`,
    });
    await t.ctx.db
      .insert(outboxEmails)
      .values([digest("Best comments: Eve here, thanks!"), digest("Best comments: Zoe's note")]);

    const erased = await t.request("/v1/contacts/c-3", { method: "DELETE", key: writer });
    expect(erased.status).toBe(200);
    const kept = JSON.stringify({
      deliveries: await t.ctx.db.select().from(webhookDeliveries),
      letters: await t.ctx.db.select().from(deadLetters),
      digests: await t.ctx.db.select().from(outboxEmails),
    });
    expect(kept).not.toContain("Eve here");
    const letters = (await t.ctx.db.select({ body: deadLetters.body }).from(deadLetters)).map(
      (row) => JSON.parse(row.body).ticket.user_emailaddress,
    );
    // Theirs goes; a longer address that ends with theirs is someone else's and stays.
    expect(letters.sort()).toEqual(["steve@delta.example", "zoe@delta.example"]);
    expect(kept).toContain("Zoe's note");
    expect(
      await t.ctx.db
        .select()
        .from(outboxEmails)
        .where(eq(outboxEmails.invitationId, invitation.id)),
    ).toEqual([]);
    const [click] = await t.ctx.db
      .select()
      .from(clicks)
      .where(eq(clicks.invitationId, invitation.id));
    expect(click).toMatchObject({ score: 3, userAgent: null, acceptLanguage: null, ipHash: null });
    // The click window named senders by those details: unknown now, for the next click to rebuild.
    const [after] = await t.ctx.db
      .select({ window: invitations.clickWindow, version: invitations.clickVersion })
      .from(invitations)
      .where(eq(invitations.id, invitation.id));
    expect(after).toEqual({ window: null, version: invitation.clickVersion + 1 });
    const body = await erased.json();
    expect(body).toMatchObject({
      id: created.id,
      email: null,
      name: null,
      locale: null,
      erasedAt: t.clock.now().toISOString(),
    });
    expect(body.externalId).toMatch(/^erased-[0-9a-f-]{36}$/);
    expect((await t.request("/v1/contacts/c-3", { key: reader })).status).toBe(404);

    const [score] = await t.ctx.db.select().from(responses).where(eq(responses.id, response.id));
    expect(score).toMatchObject({ score: 3, contactId: created.id, comment: null });
    const [cancelled] = await t.ctx.db
      .select()
      .from(invitations)
      .where(eq(invitations.id, pending.invitation.id));
    expect(cancelled!.status).toBe("cancelled");
    const [row] = await t.ctx.db.select().from(contacts).where(eq(contacts.id, created.id));
    expect(JSON.stringify(row)).not.toContain("eve");
  });
  it("erasing a contact learned from an event also scrubs the stored event", async () => {
    const event = canonicalEvent();
    const events = await t.key("events:write");
    expect((await t.request("/v1/events", { key: events, json: event })).status).toBe(202);
    const erased = await t.request(`/v1/contacts/${event.contact!.externalId}`, {
      method: "DELETE",
      key: writer,
    });
    expect(erased.status).toBe(200);
    const stored = await t.ctx.db
      .select({ payload: eventsTable.payload })
      .from(eventsTable)
      .where(eq(eventsTable.externalId, event.id));
    const text = JSON.stringify(stored);
    expect(text).not.toContain(event.contact!.email!);
    expect(text).not.toContain(event.contact!.name!);
    expect(text).toContain((await erased.json()).externalId);
  });
  it("the PSA's next event about an erased contact neither brings them back nor surveys them", async () => {
    const events = await t.key("events:write");
    const first = canonicalEvent();
    expect((await t.request("/v1/events", { key: events, json: first })).status).toBe(202);
    const erased = await t.request(`/v1/contacts/${first.contact!.externalId}`, {
      method: "DELETE",
      key: writer,
    });
    const { id: erasedId, externalId: erasedExternalId } = await erased.json();
    // The PSA still knows them, under the id they had.
    const later = canonicalEvent({ client: first.client, contact: first.contact });
    const answer = await t.request("/v1/events", { key: events, json: later });
    expect(answer.status).toBe(202);
    expect((await answer.json()).invitation).toMatchObject({
      status: "skipped",
      reason: "contact_erased",
    });
    const named = await t.ctx.db
      .select()
      .from(contacts)
      .where(eq(contacts.externalId, first.contact!.externalId));
    expect(named).toEqual([]);
    const stored = await t.ctx.db
      .select({ payload: eventsTable.payload, workItemId: eventsTable.workItemId })
      .from(eventsTable)
      .where(eq(eventsTable.externalId, later.id));
    expect(JSON.stringify(stored)).not.toContain(first.contact!.email!);
    expect(JSON.stringify(stored)).not.toContain(first.contact!.name!);
    expect(stored[0]!.payload).toMatchObject({ contact: { externalId: erasedExternalId } });
    const surveyed = await t.ctx.db
      .select()
      .from(invitations)
      .where(eq(invitations.workItemId, stored[0]!.workItemId!));
    expect(surveyed).toEqual([]);
    const [recorded] = await t.ctx.db
      .select({ contactId: workItems.contactId })
      .from(workItems)
      .where(eq(workItems.id, stored[0]!.workItemId!));
    expect(recorded!.contactId).toBe(erasedId);
    // Nor can the directory API recreate them under that id.
    const again = await put(`/v1/contacts/${first.contact!.externalId}`, {
      clientExternalId: first.client.externalId,
      email: first.contact!.email,
    });
    expect(again.status).toBe(409);
    expect(JSON.stringify(await t.ctx.db.select().from(contacts))).not.toContain(
      first.contact!.email!,
    );
  });
});

describe("teams and members", () => {
  it("a member's current team is shown by key, and a new team key is created", async () => {
    await put("/v1/teams/help-desk", { name: "Help Desk", leadEmail: "lead@msp.example" });
    const member = await put("/v1/members/jlopez", {
      name: "Jordan Lopez",
      email: "jl@msp.example",
      teamKey: "projects",
    });
    expect(member.status).toBe(201);
    expect(await member.json()).toMatchObject({ externalId: "jlopez", teamKey: "projects" });
    expect(await get("/v1/teams/projects")).toMatchObject({ key: "projects", name: "Projects" });
    expect(await get("/v1/teams/help-desk")).toMatchObject({ leadEmail: "lead@msp.example" });
    const moved = await put("/v1/members/jlopez", { name: "Jordan Lopez", teamKey: "help-desk" });
    expect(moved.status).toBe(200);
    expect(await moved.json()).toMatchObject({ teamKey: "help-desk", email: "jl@msp.example" });
  });

  it("pages through a list with opaque cursors, each row once", async () => {
    // The test clock stands still, so every row shares created_at: the id breaks the tie.
    for (let i = 0; i < 5; i += 1) await put(`/v1/teams/paged-${i}`, { name: `Paged ${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : "";
      const page = await get(`/v1/teams?limit=2${query}`);
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((team: { key: string }) => team.key));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    const all = await get("/v1/teams?limit=200");
    expect(all.nextCursor).toBeNull();
    expect(seen).toEqual(all.data.map((team: { key: string }) => team.key));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(["paged-0", "paged-4", "help-desk"]));
  });

  it("lists members and clients in pages too", async () => {
    const members = await get("/v1/members?limit=1");
    expect(members.data).toHaveLength(1);
    expect(typeof members.nextCursor).toBe("string");
    const all = await get("/v1/members?limit=200");
    expect(all.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ externalId: "jlopez", teamKey: "help-desk" }),
      ]),
    );
    const clients = await get("/v1/clients?limit=2");
    expect(clients.data).toHaveLength(2);
    expect(typeof clients.nextCursor).toBe("string");
  });
});

describe("erasing a contact while an event about them is being recorded (PostgreSQL)", () => {
  it("writes nothing of the erased person back", async (context) => {
    const url = (t.services.database as { url?: string }).url;
    if (!url) return context.skip();
    const admin = await t.key("admin");
    const first = canonicalEvent();
    expect((await t.request("/v1/events", { key: admin, json: first })).status).toBe(202);
    const [before] = await t.ctx.db
      .select()
      .from(contacts)
      .where(eq(contacts.externalId, first.contact!.externalId));
    const second = canonicalEvent({
      client: first.client,
      contact: { ...first.contact!, name: "Renamed Person" },
    });
    // The contact's row is held: the erasure queues first, then the event's statement, whose
    // snapshot predates the erasure.
    const [erased, ingested] = await withRowLocked(
      url,
      (locker) => locker`select id from contacts where id = ${before!.id} for update`,
      [
        {
          start: () =>
            t.request(`/v1/contacts/${first.contact!.externalId}`, {
              method: "DELETE",
              key: admin,
            }),
          waiters: 1,
        },
        { start: () => t.request("/v1/events", { key: admin, json: second }), waiters: 2 },
      ],
    );
    expect(erased!.status).toBe(200);
    expect(ingested!.status).toBe(202);
    const [after] = await t.ctx.db.select().from(contacts).where(eq(contacts.id, before!.id));
    expect(after!.erasedAt).not.toBeNull();
    expect({ email: after!.email, name: after!.name }).toEqual({ email: null, name: null });
    // Nor does the event recorded meanwhile keep them in its stored copy.
    const stored = await t.ctx.db.select({ payload: eventsTable.payload }).from(eventsTable);
    expect(JSON.stringify(stored)).not.toContain(first.contact!.email!);
    expect(JSON.stringify(stored)).not.toContain("Renamed Person");
  });
});
