// The intake baseline: bare Hono + postgres.js writing what one ticket.closed event with three
// touches writes (event, client, contact, teams, members, work item, touches, invitation) in one
// transaction, with no validation, logging or survey rules. rapport's intake is measured against it.
import { randomBytes } from "node:crypto";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import postgres from "postgres";

const sql = postgres(process.env.DATABASE_URL!, { max: 10, onnotice: () => {} });
const app = new Hono();

interface Touch {
  member: { externalId: string; name: string };
  team: string;
  at: string;
  minutes?: number;
  role?: string;
}

app.post("/v1/events", async (c) => {
  const event = await c.req.json();
  const result = await sql.begin(async (tx) => {
    const [stored] = await tx`insert into events (source, external_id, type, occurred_at, payload, outcome)
      values ('api', ${event.id}, ${event.type}, ${event.occurredAt}, ${tx.json(event)}, '{}')
      on conflict (source, external_id) do nothing returning id`;
    if (!stored) return { duplicate: true };
    const [client] = await tx`insert into clients (external_id, name) values (${event.client.externalId}, ${event.client.name})
      on conflict (external_id) do update set name = excluded.name returning id`;
    const [contact] = await tx`insert into contacts (client_id, external_id, email, name)
      values (${client!.id}, ${event.contact.externalId}, ${event.contact.email}, ${event.contact.name})
      on conflict (external_id) do update set email = excluded.email returning id`;
    const [item] = await tx`insert into work_items (kind, external_id, client_id, contact_id, summary, board, status, closed_at)
      values ('ticket', ${event.workItem.externalId}, ${client!.id}, ${contact!.id}, ${event.workItem.summary}, ${event.workItem.board}, 'closed', ${event.workItem.closedAt})
      on conflict (kind, external_id) do update set status = 'closed' returning id`;
    // Shared rows are upserted in key order so concurrent events cannot deadlock.
    const touches = event.touches as Touch[];
    const teamIds = new Map<string, string>();
    for (const key of [...new Set(touches.map((t) => t.team))].sort()) {
      const [team] = await tx`insert into teams (key, name) values (${key}, ${key})
        on conflict (key) do update set name = teams.name returning id`;
      teamIds.set(key, team!.id);
    }
    const memberIds = new Map<string, string>();
    for (const touch of [...touches].sort((a, b) => a.member.externalId.localeCompare(b.member.externalId))) {
      if (memberIds.has(touch.member.externalId)) continue;
      const [member] = await tx`insert into members (external_id, name, team_id) values (${touch.member.externalId}, ${touch.member.name}, ${teamIds.get(touch.team)!})
        on conflict (external_id) do update set team_id = excluded.team_id returning id`;
      memberIds.set(touch.member.externalId, member!.id);
    }
    for (const touch of touches) {
      await tx`insert into touches (work_item_id, member_id, team_id, role, at, minutes)
        values (${item!.id}, ${memberIds.get(touch.member.externalId)!}, ${teamIds.get(touch.team)!}, ${touch.role ?? "resource"}, ${touch.at}, ${touch.minutes ?? null})
        on conflict do nothing`;
    }
    const [survey] = await tx`select id from surveys where key = 'ticket-csat'`;
    const token = randomBytes(18).toString("base64url");
    const [invitation] = await tx`insert into invitations (survey_id, work_item_id, contact_id, client_id, token_hash, token_nonce, send_at, next_attempt_at, expires_at)
      values (${survey!.id}, ${item!.id}, ${contact!.id}, ${client!.id}, ${token}, ${token}, now(), now(), now() + interval '14 days')
      on conflict do nothing returning id`;
    return { duplicate: false, invitation: invitation?.id ?? null };
  });
  return c.json(result, 202);
});

serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${info.port}` }));
});
