import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  clients,
  contacts,
  events,
  invitationEvents,
  invitations,
  members,
  teams,
  touches,
  workItems,
} from "../src/db/schema/index.ts";
import type { CanonicalEventInput } from "../src/intake/event.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { canonicalEvent } from "./support/factories.ts";

let t: TestApp;
let key: string;
beforeAll(async () => {
  t = await createTestApp();
  key = await t.key("events:write");
});
afterAll(() => t.close());

async function post(event: CanonicalEventInput) {
  const response = await t.request("/v1/events", { key, json: event });
  expect(response.status).toBe(202);
  return response.json();
}

/** Creates a survey definition through the API. */
async function putSurvey(surveyKey: string, json: Record<string, unknown>) {
  const response = await t.request(`/v1/surveys/${surveyKey}`, {
    method: "PUT",
    key: await t.key("surveys:write"),
    json,
  });
  expect(response.status).toBe(201);
}

async function countOf(table: typeof touches | typeof invitations, workItemId: string) {
  const [row] = await t.ctx.db
    .select({ n: sql<number>`count(*)::int` })
    .from(table)
    .where(eq(table.workItemId, workItemId));
  return row!.n;
}

async function currentTeamOf(memberExternalId: string) {
  const [row] = await t.ctx.db
    .select({ team: teams.key })
    .from(members)
    .innerJoin(teams, eq(teams.id, members.teamId))
    .where(eq(members.externalId, memberExternalId));
  return row?.team;
}

describe("a ticket.closed event", () => {
  it("records one work item, three touches from two teams and one scheduled invitation", async () => {
    const event = canonicalEvent();
    const body = await post(event);
    expect(body).toMatchObject({
      duplicate: false,
      touchesRecorded: 3,
      invitation: {
        status: "scheduled",
        surveyKey: "ticket-csat",
        sendAt: t.clock.now().toISOString(),
      },
    });

    const items = await t.ctx.db
      .select()
      .from(workItems)
      .where(eq(workItems.externalId, event.workItem.externalId));
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ id: body.workItemId, status: "closed", board: "Help Desk" });
    expect(items[0]!.closedAt?.toISOString()).toBe("2026-11-18T16:40:00.000Z");

    const recorded = await t.ctx.db
      .select({ team: teams.key, role: touches.role, minutes: touches.minutes })
      .from(touches)
      .innerJoin(teams, eq(teams.id, touches.teamId))
      .where(eq(touches.workItemId, body.workItemId));
    expect(recorded.map((r) => `${r.team}/${r.role}`).sort()).toEqual([
      "centralized-services/escalation",
      "help-desk/owner",
      "help-desk/time-entry",
    ]);
    expect(recorded.find((r) => r.role === "time-entry")?.minutes).toBe(45);

    const sent = await t.ctx.db
      .select()
      .from(invitations)
      .where(eq(invitations.workItemId, body.workItemId));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      id: body.invitation.id,
      status: "scheduled",
      campaignId: null,
      reminderStatus: "none",
    });
    expect(sent[0]!.nextAttemptAt.getTime()).toBe(sent[0]!.sendAt.getTime());
    expect(sent[0]!.expiresAt.getTime() - sent[0]!.sendAt.getTime()).toBe(14 * 86_400_000);
    expect(sent[0]!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    const history = await t.ctx.db
      .select()
      .from(invitationEvents)
      .where(eq(invitationEvents.invitationId, body.invitation.id));
    expect(history.map((h) => h.type)).toEqual(["scheduled"]);

    const [stored] = await t.ctx.db.select().from(events).where(eq(events.id, body.eventId));
    expect(stored).toMatchObject({
      source: "api",
      externalId: event.id,
      workItemId: body.workItemId,
    });
    expect(stored!.outcome).toMatchObject({ invitation: { status: "scheduled" } });
  });

  it("learns the client and contact, and creates teams on first sight with a readable name", async () => {
    const event = canonicalEvent();
    await post(event);
    const [client] = await t.ctx.db
      .select()
      .from(clients)
      .where(eq(clients.externalId, event.client.externalId));
    expect(client?.name).toBe(event.client.name);
    const [contact] = await t.ctx.db
      .select()
      .from(contacts)
      .where(eq(contacts.externalId, event.contact!.externalId));
    expect(contact).toMatchObject({ clientId: client!.id, email: event.contact!.email });
    const [team] = await t.ctx.db.select().from(teams).where(eq(teams.key, "centralized-services"));
    expect(team?.name).toBe("Centralized Services");
  });

  it("waits delayMinutes before sending when the survey asks for it", async () => {
    await t.request("/v1/surveys/ticket-csat", {
      method: "PUT",
      key: await t.key("admin"),
      json: {
        scale: "csat3",
        trigger: "ticket.closed",
        questions: { en: "How did we do?" },
        throttleDays: 7,
        delayMinutes: 90,
      },
    });
    const body = await post(canonicalEvent());
    expect(body.invitation.sendAt).toBe(
      new Date(t.clock.now().getTime() + 90 * 60_000).toISOString(),
    );
    await t.request("/v1/surveys/ticket-csat", {
      method: "PUT",
      key: await t.key("admin"),
      json: {
        scale: "csat3",
        trigger: "ticket.closed",
        questions: { en: "How did we do?" },
        throttleDays: 7,
        delayMinutes: 0,
      },
    });
  });
});

describe("repeated and concurrent deliveries", () => {
  it("a repeated id is acknowledged as a duplicate and records nothing new", async () => {
    const event = canonicalEvent();
    const first = await post(event);
    const again = await post({ ...event, touches: [] });
    expect(again).toMatchObject({
      eventId: first.eventId,
      duplicate: true,
      workItemId: first.workItemId,
      touchesRecorded: 0,
      invitation: first.invitation,
    });
    expect(await countOf(touches, first.workItemId)).toBe(3);
    expect(await countOf(invitations, first.workItemId)).toBe(1);
  });

  it("a repeated id that says something else changes nothing at all", async () => {
    const event = canonicalEvent();
    const first = await post(event);
    const newcomer = `newcomer-${event.id}`;
    const again = await post({
      ...event,
      workItem: { ...event.workItem, summary: "Something else entirely", board: "Projects" },
      client: { ...event.client, name: "Renamed by the repeat" },
      contact: { ...event.contact!, email: "moved@elsewhere.example", name: "Renamed" },
      touches: [
        {
          member: { externalId: newcomer, name: "Newcomer", email: "new@msp.example" },
          team: "a-team-only-the-repeat-names",
          at: "2026-11-18T12:00:00Z",
        },
      ],
    });
    expect(again).toMatchObject({ eventId: first.eventId, duplicate: true, touchesRecorded: 0 });
    const [client] = await t.ctx.db
      .select({ name: clients.name })
      .from(clients)
      .where(eq(clients.externalId, event.client.externalId));
    expect(client?.name).toBe(event.client.name);
    const [contact] = await t.ctx.db
      .select({ email: contacts.email })
      .from(contacts)
      .where(eq(contacts.externalId, event.contact!.externalId));
    expect(contact?.email).toBe(event.contact!.email);
    const [item] = await t.ctx.db
      .select({ summary: workItems.summary, board: workItems.board })
      .from(workItems)
      .where(eq(workItems.id, first.workItemId));
    expect(item).toEqual({ summary: event.workItem.summary, board: event.workItem.board });
    expect(await t.ctx.db.select().from(members).where(eq(members.externalId, newcomer))).toEqual(
      [],
    );
    expect(
      await t.ctx.db.select().from(teams).where(eq(teams.key, "a-team-only-the-repeat-names")),
    ).toEqual([]);
    expect(await countOf(touches, first.workItemId)).toBe(3);
  });

  it("three concurrent identical deliveries give one of everything", async () => {
    const event = canonicalEvent();
    const bodies = await Promise.all([post(event), post(event), post(event)]);
    expect(bodies.filter((b) => !b.duplicate)).toHaveLength(1);
    expect(new Set(bodies.map((b) => b.eventId)).size).toBe(1);
    const workItemId = bodies[0].workItemId;
    expect(await countOf(touches, workItemId)).toBe(3);
    expect(await countOf(invitations, workItemId)).toBe(1);
    const stored = await t.ctx.db.select().from(events).where(eq(events.externalId, event.id));
    expect(stored).toHaveLength(1);
  });

  it("a second event id for the same closure stores no touch twice", async () => {
    const event = canonicalEvent();
    const first = await post(event);
    const second = await post({ ...event, id: `${event.id}-retry` });
    expect(second).toMatchObject({
      duplicate: false,
      workItemId: first.workItemId,
      touchesRecorded: 0,
    });
    expect(second.invitation).toMatchObject({ status: "skipped", reason: "already_surveyed" });
    expect(await countOf(touches, first.workItemId)).toBe(3);
  });
});

describe("the work item's life", () => {
  it("reopen then re-close sends no second survey: the unsent one waits for the new close", async () => {
    const event = canonicalEvent();
    const closed = await post(event);
    const reopened = await post({ ...event, id: `${event.id}-reopen`, type: "ticket.reopened" });
    expect(reopened.invitation).toBeNull();
    const [item] = await t.ctx.db
      .select()
      .from(workItems)
      .where(eq(workItems.id, closed.workItemId));
    expect(item).toMatchObject({ status: "reopened", closedAt: null });

    const reclosed = await post({
      ...event,
      id: `${event.id}-reclose`,
      workItem: { ...event.workItem, closedAt: "2026-11-19T10:00:00Z" },
    });
    expect(reclosed.invitation).toMatchObject({
      status: "scheduled",
      id: closed.invitation.id,
      surveyKey: closed.invitation.surveyKey,
    });
    const [again] = await t.ctx.db
      .select()
      .from(workItems)
      .where(eq(workItems.id, closed.workItemId));
    expect(again!.status).toBe("closed");
    expect(again!.closedAt?.toISOString()).toBe("2026-11-19T10:00:00.000Z");
    expect(await countOf(invitations, closed.workItemId)).toBe(1);
  });

  it("reopen then re-close on a board with its own survey sends no second survey", async () => {
    await putSurvey("escalation-csat5", {
      scale: "csat5",
      trigger: "ticket.closed",
      questions: { en: "How did we do?" },
      boards: ["Escalations-C"],
    });
    const event = canonicalEvent();
    const closed = await post(event);
    expect(closed.invitation).toMatchObject({ status: "scheduled", surveyKey: "ticket-csat" });
    await post({
      ...event,
      id: `${event.id}-reopen`,
      type: "ticket.reopened",
      occurredAt: "2026-11-19T09:00:00Z",
    });
    const reclosed = await post({
      ...event,
      id: `${event.id}-reclose`,
      occurredAt: "2026-11-19T10:00:00Z",
      workItem: { ...event.workItem, board: "Escalations-C", closedAt: "2026-11-19T10:00:00Z" },
    });
    // The first close's survey, not yet sent, goes out after this close; no second one.
    expect(reclosed.invitation).toMatchObject({
      status: "scheduled",
      id: closed.invitation.id,
      surveyKey: "ticket-csat",
    });
    expect(await countOf(invitations, closed.workItemId)).toBe(1);
  });

  it("an older event delivered late adds its touches but changes neither status nor board", async () => {
    const event = canonicalEvent({ occurredAt: "2026-11-18T16:42:10Z" });
    event.workItem.board = "Escalations";
    const closed = await post(event);
    // Morning events, delivered after the close: a reopen and an update on the old board.
    await post({
      ...event,
      id: `${event.id}-early-reopen`,
      type: "ticket.reopened",
      occurredAt: "2026-11-18T09:00:00Z",
      workItem: { ...event.workItem, board: "Help Desk", closedAt: null },
      touches: [
        {
          member: { externalId: "early-bird", name: "Early Bird" },
          team: "help-desk",
          at: "2026-11-18T08:55:00Z",
          role: "note",
        },
      ],
    });
    await post({
      ...event,
      id: `${event.id}-early-update`,
      type: "ticket.updated",
      occurredAt: "2026-11-18T10:00:00Z",
      workItem: { ...event.workItem, board: "Help Desk", summary: "Old title", closedAt: null },
      touches: [],
    });
    const [item] = await t.ctx.db
      .select()
      .from(workItems)
      .where(eq(workItems.id, closed.workItemId));
    expect(item).toMatchObject({
      status: "closed",
      board: "Escalations",
      summary: event.workItem.summary,
    });
    expect(item!.closedAt?.toISOString()).toBe(new Date(event.workItem.closedAt!).toISOString());
    expect(await countOf(touches, closed.workItemId)).toBe(event.touches!.length + 1);
  });

  it("an update without a reference keeps the number recorded before; a newer one replaces it", async () => {
    const event = canonicalEvent();
    event.workItem.reference = "T20261118.0042";
    const closed = await post(event);
    await post({
      ...event,
      id: `${event.id}-note`,
      type: "ticket.updated",
      occurredAt: "2026-11-18T17:00:00Z",
      workItem: { ...event.workItem, reference: undefined },
      touches: [],
    });
    const referenceOf = async () =>
      (
        await t.ctx.db
          .select({ reference: workItems.reference })
          .from(workItems)
          .where(eq(workItems.id, closed.workItemId))
      )[0]?.reference;
    expect(await referenceOf()).toBe("T20261118.0042");
    await post({
      ...event,
      id: `${event.id}-renumbered`,
      type: "ticket.updated",
      occurredAt: "2026-11-18T18:00:00Z",
      workItem: { ...event.workItem, reference: "T20261118.0043" },
      touches: [],
    });
    expect(await referenceOf()).toBe("T20261118.0043");
  });

  it("a close that leaves out the contact or the board surveys the item as it is known", async () => {
    await putSurvey("onsite-csat-d", {
      scale: "csat5",
      trigger: "ticket.closed",
      questions: { en: "How was the onsite visit?" },
      boards: ["Onsite-D"],
    });
    const event = canonicalEvent();
    event.workItem.board = "Onsite-D";
    await post({
      ...event,
      id: `${event.id}-open`,
      type: "ticket.updated",
      workItem: { ...event.workItem, closedAt: null },
    });
    const closed = await post({
      ...event,
      contact: null,
      workItem: { ...event.workItem, board: null },
    });
    expect(closed.invitation).toMatchObject({ status: "scheduled", surveyKey: "onsite-csat-d" });
  });

  it("a team filter counts the teams that touched the item before the closing event", async () => {
    await putSurvey("alignment-csat-f", {
      scale: "csat5",
      trigger: "ticket.closed",
      questions: { en: "How did the alignment go?" },
      teams: ["alignment-f"],
    });
    const event = canonicalEvent();
    await post({
      ...event,
      id: `${event.id}-escalated`,
      type: "ticket.updated",
      workItem: { ...event.workItem, closedAt: null },
      touches: [
        {
          member: { externalId: "ta-f", name: "Alignment Lead" },
          team: "alignment-f",
          at: "2026-11-18T08:00:00Z",
          role: "escalation",
        },
      ],
    });
    // The close names only the help desk's touches.
    const closed = await post(event);
    expect(closed.invitation).toMatchObject({ status: "scheduled", surveyKey: "alignment-csat-f" });
  });

  it("a close delivered after a later update (a note added after closing) still closes the item", async () => {
    const close = canonicalEvent({ occurredAt: "2026-11-18T16:42:10Z" });
    const note = await post({
      ...close,
      id: `${close.id}-note`,
      type: "ticket.updated",
      occurredAt: "2026-11-18T17:00:00Z",
      workItem: { ...close.workItem, closedAt: null },
      touches: [],
    });
    const closed = await post(close);
    expect(closed.workItemId).toBe(note.workItemId);
    const [item] = await t.ctx.db
      .select()
      .from(workItems)
      .where(eq(workItems.id, closed.workItemId));
    expect(item!.status).toBe("closed");
    expect(item!.closedAt?.toISOString()).toBe(new Date(close.workItem.closedAt!).toISOString());
  });

  it("an older event delivered late does not bring back a contact's old email or a client's old name", async () => {
    const base = canonicalEvent({ type: "ticket.updated" });
    const item = { ...base.workItem, closedAt: null };
    const at = (time: string, name: string, email: string, n: string) =>
      post({
        ...base,
        id: `${base.id}-${n}`,
        occurredAt: `2026-11-18T${time}:00Z`,
        workItem: item,
        client: { ...base.client, name },
        contact: { ...base.contact!, email },
      });
    const detailsOf = async () => {
      const [contact] = await t.ctx.db
        .select()
        .from(contacts)
        .where(eq(contacts.externalId, base.contact!.externalId));
      const [client] = await t.ctx.db
        .select()
        .from(clients)
        .where(eq(clients.externalId, base.client.externalId));
      return [client!.name, contact!.email];
    };
    await at("17:00", "New Name", "new@client.example", "new");
    await at("10:00", "Old Name", "old@client.example", "old");
    expect(await detailsOf()).toEqual(["New Name", "new@client.example"]);
    await at("18:00", "Newer Name", "newer@client.example", "newer");
    expect(await detailsOf()).toEqual(["Newer Name", "newer@client.example"]);
    // A directory write is newer than any event that happened before it.
    const directory = await t.key("directory:write");
    const clockWas = t.clock.now();
    t.clock.set("2026-11-18T20:00:00Z");
    const put = await t.request(`/v1/contacts/${base.contact!.externalId}`, {
      method: "PUT",
      key: directory,
      json: { clientExternalId: base.client.externalId, email: "typed@client.example" },
    });
    expect(put.status).toBeLessThan(300);
    await at("19:00", "Newer Name", "psa@client.example", "before-write");
    expect(await detailsOf()).toEqual(["Newer Name", "typed@client.example"]);
    t.clock.set(clockWas);
  });

  it("an older event delivered late does not undo details a newer event repeated unchanged", async () => {
    const base = canonicalEvent({ type: "ticket.updated" });
    const item = { ...base.workItem, closedAt: null };
    const at = (time: string, name: string, email: string) =>
      post({
        ...base,
        id: `${base.id}-${time}`,
        occurredAt: `2026-11-18T${time}:00Z`,
        workItem: item,
        client: { ...base.client, name },
        contact: { ...base.contact!, email },
      });
    await at("10:00", "Acme Old", "old@client.example");
    await at("11:00", "Acme New", "new@client.example");
    // The newest event names them as they are: nothing to write, yet it is newer than 12:00.
    await at("13:00", "Acme New", "new@client.example");
    await at("12:00", "Acme Old", "old@client.example");
    const [client] = await t.ctx.db
      .select({ name: clients.name })
      .from(clients)
      .where(eq(clients.externalId, base.client.externalId));
    const [contact] = await t.ctx.db
      .select({ email: contacts.email })
      .from(contacts)
      .where(eq(contacts.externalId, base.contact!.externalId));
    expect([client!.name, contact!.email]).toEqual(["Acme New", "new@client.example"]);
  });

  it("an older event delivered late fills in minutes and contact details still unknown", async () => {
    const base = canonicalEvent({ type: "ticket.updated" });
    const item = { ...base.workItem, closedAt: null };
    const contact = base.contact!;
    const entry = {
      member: { externalId: `filler-${base.id}`, name: "Filler" },
      team: "help-desk",
      at: "2026-11-18T15:00:00Z",
      role: "time-entry" as const,
    };
    // The newer event names the time entry without minutes and the contact without email.
    const newer = await post({
      ...base,
      id: `${base.id}-newer`,
      occurredAt: "2026-11-18T17:00:00Z",
      workItem: item,
      contact: { externalId: contact.externalId, name: contact.name },
      touches: [entry],
    });
    await post({
      ...base,
      id: `${base.id}-older`,
      occurredAt: "2026-11-18T16:00:00Z",
      workItem: item,
      contact: { ...contact, name: "Older Name" },
      touches: [{ ...entry, minutes: 45 }],
    });
    const minutes = await t.ctx.db
      .select({ minutes: touches.minutes })
      .from(touches)
      .where(eq(touches.workItemId, newer.workItemId));
    expect(minutes.map((row) => row.minutes)).toEqual([45]);
    const [row] = await t.ctx.db
      .select({ email: contacts.email, locale: contacts.locale, name: contacts.name })
      .from(contacts)
      .where(eq(contacts.externalId, contact.externalId));
    // What was unknown is filled in; the name the newer event gave stays.
    expect(row).toEqual({ email: contact.email, locale: contact.locale, name: contact.name });
  });

  it("a time entry sent again with corrected minutes is corrected, unless the event is older", async () => {
    const entry = {
      member: { externalId: "fixer", name: "Fixer" },
      team: "help-desk",
      at: "2026-11-18T15:00:00Z",
      minutes: 30,
      role: "time-entry" as const,
    };
    const event = canonicalEvent({ type: "ticket.updated", touches: [entry, { ...entry }] });
    const first = await post({ ...event, workItem: { ...event.workItem, closedAt: null } });
    expect(first.touchesRecorded).toBe(1);
    const minutesOf = async () =>
      (
        await t.ctx.db
          .select({ minutes: touches.minutes })
          .from(touches)
          .where(eq(touches.workItemId, first.workItemId))
      ).map((row) => row.minutes);

    const corrected = await post({
      ...event,
      id: `${event.id}-fixed`,
      occurredAt: "2026-11-18T17:00:00Z",
      workItem: { ...event.workItem, closedAt: null },
      touches: [{ ...entry, minutes: 45 }],
    });
    expect(corrected.touchesRecorded).toBe(0);
    expect(await minutesOf()).toEqual([45]);

    // The first version, delivered again late under another id, changes nothing back.
    await post({
      ...event,
      id: `${event.id}-late`,
      occurredAt: "2026-11-18T16:00:00Z",
      workItem: { ...event.workItem, closedAt: null },
      touches: [{ ...entry, minutes: 30 }],
    });
    expect(await minutesOf()).toEqual([45]);

    // A newer event naming the touch without minutes (they are unknown to it) keeps them.
    const { minutes: _known, ...withoutMinutes } = entry;
    await post({
      ...event,
      id: `${event.id}-close`,
      type: "ticket.closed",
      occurredAt: "2026-11-18T18:00:00Z",
      touches: [withoutMinutes],
    });
    expect(await minutesOf()).toEqual([45]);
  });

  it("an update keeps the status and triggers no survey; late touches on a closed item are kept", async () => {
    const event = canonicalEvent();
    const closed = await post(event);
    const late = await post({
      ...event,
      id: `${event.id}-late-note`,
      type: "ticket.updated",
      touches: [
        {
          member: { externalId: "late-tech", name: "Late Tech" },
          team: "help-desk",
          at: "2026-11-19T08:00:00Z",
          role: "note",
        },
      ],
    });
    expect(late).toMatchObject({ invitation: null, touchesRecorded: 1 });
    const [item] = await t.ctx.db
      .select()
      .from(workItems)
      .where(eq(workItems.id, closed.workItemId));
    expect(item!.status).toBe("closed");
    expect(await countOf(touches, closed.workItemId)).toBe(4);
  });

  it("a member who moves team keeps their old touches and follows the latest one", async () => {
    const first = canonicalEvent();
    const mover = first.touches![2]!.member;
    await post(first);
    expect(await currentTeamOf(mover.externalId)).toBe("centralized-services");

    const second = canonicalEvent({
      touches: [{ member: mover, team: "projects", at: "2026-11-20T09:00:00Z", role: "owner" }],
    });
    const moved = await post(second);
    expect(await currentTeamOf(mover.externalId)).toBe("projects");

    const history = await t.ctx.db
      .select({ team: teams.key })
      .from(touches)
      .innerJoin(members, eq(members.id, touches.memberId))
      .innerJoin(teams, eq(teams.id, touches.teamId))
      .where(eq(members.externalId, mover.externalId));
    expect(history.map((h) => h.team).sort()).toEqual(["centralized-services", "projects"]);
    expect(moved.touchesRecorded).toBe(1);

    // An older event arriving late does not move them back.
    await post(
      canonicalEvent({
        touches: [{ member: mover, team: "help-desk", at: "2026-11-10T09:00:00Z", role: "note" }],
      }),
    );
    expect(await currentTeamOf(mover.externalId)).toBe("projects");
  });

  it("an older event delivered late neither renames a member back nor undoes a directory write", async () => {
    const id = "renamed-tech";
    const touch = (at: string, name: string, email?: string) =>
      post(
        canonicalEvent({
          touches: [{ member: { externalId: id, name, email }, team: "help-desk", at }],
        }),
      );
    const detailsOf = async () => {
      const [row] = await t.ctx.db
        .select({ name: members.name, email: members.email })
        .from(members)
        .where(eq(members.externalId, id));
      return row;
    };
    await touch("2026-11-18T09:00:00Z", "Sam Old");
    await touch("2026-11-18T17:00:00Z", "Sam New");
    await touch("2026-11-18T10:00:00Z", "Sam Old", "sam@msp.example");
    // The late event only fills in the email still unknown.
    expect(await detailsOf()).toEqual({ name: "Sam New", email: "sam@msp.example" });
    // A newer event that names them as they are writes nothing, and is still newer.
    await touch("2026-11-18T18:00:00Z", "Sam New", "sam@msp.example");
    await touch("2026-11-18T17:30:00Z", "Sam Older", "older@msp.example");
    expect(await detailsOf()).toEqual({ name: "Sam New", email: "sam@msp.example" });

    // A directory write is newer than any touch that happened before it.
    const clockWas = t.clock.now();
    t.clock.set("2026-11-18T20:00:00Z");
    const put = await t.request(`/v1/members/${id}`, {
      method: "PUT",
      key: await t.key("directory:write"),
      json: { name: "Samantha New", email: "samantha@msp.example" },
    });
    expect(put.status).toBe(200);
    t.clock.set(clockWas);
    await touch("2026-11-18T19:00:00Z", "Sam New", "sam@msp.example");
    expect(await detailsOf()).toEqual({ name: "Samantha New", email: "samantha@msp.example" });
    await touch("2026-11-18T21:00:00Z", "Sam Newest");
    expect(await detailsOf()).toEqual({ name: "Sam Newest", email: "samantha@msp.example" });
  });

  it("a touch without a member name keeps the name on record; a new member is named by the id", async () => {
    const first = canonicalEvent();
    const known = first.touches![0]!.member;
    await post(first);
    const unnamed = canonicalEvent({
      touches: [
        { member: { externalId: known.externalId }, team: "help-desk", at: "2026-11-21T09:00:00Z" },
        {
          member: { externalId: "login-only", name: null },
          team: "help-desk",
          at: "2026-11-21T09:00:00Z",
        },
      ],
    });
    await post(unnamed);
    const names = await t.ctx.db
      .select({ externalId: members.externalId, name: members.name })
      .from(members)
      .where(sql`${members.externalId} in (${known.externalId}, 'login-only')`)
      .orderBy(members.externalId);
    expect(names).toEqual([
      { externalId: "login-only", name: "login-only" },
      { externalId: known.externalId, name: known.name },
    ]);
  });

  it("a member named only in an earlier touch of the event takes that name", async () => {
    const event = canonicalEvent({
      touches: [
        {
          member: { externalId: "named-earlier", name: "Noor Haddad" },
          team: "help-desk",
          at: "2026-11-18T09:00:00Z",
          role: "time-entry",
        },
        { member: { externalId: "named-earlier" }, team: "help-desk", at: "2026-11-18T16:00:00Z" },
      ],
    });
    await post(event);
    const [row] = await t.ctx.db
      .select({ name: members.name })
      .from(members)
      .where(eq(members.externalId, "named-earlier"));
    expect(row?.name).toBe("Noor Haddad");
  });

  it("instants written with RFC 3339's lower-case t and z are accepted", async () => {
    const event = canonicalEvent({ occurredAt: "2026-11-18t16:42:10z" });
    event.workItem.closedAt = "2026-11-18t16:40:00z";
    event.touches![0]!.at = "2026-11-17t09:10:00+01:00";
    const outcome = await post(event);
    const [item] = await t.ctx.db
      .select()
      .from(workItems)
      .where(eq(workItems.id, outcome.workItemId));
    expect(item!.closedAt?.toISOString()).toBe("2026-11-18T16:40:00.000Z");
    const [stored] = await t.ctx.db.select().from(events).where(eq(events.id, outcome.eventId));
    expect(stored!.occurredAt.toISOString()).toBe("2026-11-18T16:42:10.000Z");
  });

  it("project.completed schedules the project NPS survey", async () => {
    const body = await post(
      canonicalEvent({
        type: "project.completed",
        workItem: {
          externalId: "PRJ-1",
          kind: "project",
          summary: "Office move",
          board: "Projects",
        },
      }),
    );
    expect(body.invitation).toMatchObject({ status: "scheduled", surveyKey: "project-nps" });
  });
});
