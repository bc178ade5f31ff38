// The intake baseline: bare Hono + postgres.js writing what one ticket.closed event with three
// touches writes (event, client, contact, teams, members, work item, touches, invitation) in one
// transaction, with no validation, logging or survey rules. rapport's intake is measured against it.
import { randomBytes } from "node:crypto";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import postgres from "postgres";

const sql = postgres(process.env.DATABASE_URL!, {
  max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
  onnotice: () => {},
});
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
    const [stored] =
      await tx`insert into events (source, external_id, type, occurred_at, payload, outcome)
      values ('api', ${event.id}, ${event.type}, ${event.occurredAt}, ${tx.json(event)}, '{}')
      on conflict (source, external_id) do nothing returning id`;
    if (!stored) return { duplicate: true };
    const [client] =
      await tx`insert into clients (external_id, name) values (${event.client.externalId}, ${event.client.name})
      on conflict (external_id) do update set name = excluded.name returning id`;
    const [contact] = await tx`insert into contacts (client_id, external_id, email, name)
      values (${client!.id}, ${event.contact.externalId}, ${event.contact.email}, ${event.contact.name})
      on conflict (external_id) do update set email = excluded.email returning id`;
    const [item] =
      await tx`insert into work_items (kind, external_id, client_id, contact_id, summary, board, status, closed_at)
      values ('ticket', ${event.workItem.externalId}, ${client!.id}, ${contact!.id}, ${event.workItem.summary}, ${event.workItem.board}, 'closed', ${event.workItem.closedAt})
      on conflict (kind, external_id) do update set status = 'closed' returning id`;
    // Shared rows (teams, members) are created in key order so concurrent events cannot
    // deadlock, and read rather than rewritten when they exist, so events do not queue on them.
    const touches = event.touches as Touch[];
    const teamKeys = [...new Set(touches.map((t) => t.team))].sort();
    const teamRows = await tx`with wanted as (select unnest(${teamKeys}::text[]) as key),
        created as (insert into teams (key, name) select key, key from wanted order by key
          on conflict (key) do nothing returning id, key)
      select id, key from created union all select id, key from teams where key in (select key from wanted)`;
    const teamIds = new Map(teamRows.map((row) => [row.key as string, row.id as string]));
    // A team committed by a concurrent event after this statement's snapshot: read it again.
    if (teamIds.size < teamKeys.length) {
      for (const row of await tx`select id, key from teams where key in ${tx(teamKeys)}`) {
        teamIds.set(row.key, row.id);
      }
    }
    const byMember = new Map(touches.map((t) => [t.member.externalId, t]));
    const memberKeys = [...byMember.keys()].sort();
    const memberRows = await tx`with wanted as (
          select * from unnest(${memberKeys}::text[], ${memberKeys.map((k) => byMember.get(k)!.member.name)}::text[],
            ${memberKeys.map((k) => teamIds.get(byMember.get(k)!.team)!)}::uuid[]) as w(external_id, name, team_id)),
        created as (insert into members (external_id, name, team_id) select * from wanted order by external_id
          on conflict (external_id) do nothing returning id, external_id)
      select id, external_id from created
      union all select id, external_id from members where external_id in (select external_id from wanted)`;
    const memberIds = new Map(
      memberRows.map((row) => [row.external_id as string, row.id as string]),
    );
    if (memberIds.size < memberKeys.length) {
      for (const row of await tx`select id, external_id from members where external_id in ${tx(memberKeys)}`) {
        memberIds.set(row.external_id, row.id);
      }
    }
    await tx`insert into touches ${tx(
      touches.map((touch) => ({
        work_item_id: item!.id,
        member_id: memberIds.get(touch.member.externalId)!,
        team_id: teamIds.get(touch.team)!,
        role: touch.role ?? "resource",
        at: touch.at,
        minutes: touch.minutes ?? null,
      })),
    )} on conflict do nothing`;
    const [survey] = await tx`select id from surveys where key = 'ticket-csat'`;
    const token = randomBytes(18).toString("base64url");
    const [invitation] =
      await tx`insert into invitations (survey_id, work_item_id, contact_id, client_id, token_hash, token_nonce, send_at, next_attempt_at, expires_at)
      values (${survey!.id}, ${item!.id}, ${contact!.id}, ${client!.id}, ${token}, ${token}, now(), now(), now() + interval '14 days')
      on conflict do nothing returning id`;
    return { duplicate: false, invitation: invitation?.id ?? null };
  });
  return c.json(result, 202);
});

serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${info.port}` }));
});
