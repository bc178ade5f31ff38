/**
 * Metrics at scale: seeds N responses (with work items, multi-team touches, surveys, and one
 * sent invitation per response plus about 40% more left unanswered) into a
 * fresh PostgreSQL database, then times the metrics endpoints through the app and the raw
 * GROUP BY that answers the same question, in the same run.
 *
 *   npx tsx bench/metrics.ts --responses 1000000 [--database-url postgres://...] [--requests 40]
 */

import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { createApiKey } from "../src/apikeys/keys.ts";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { systemClock } from "../src/context.ts";
import { openDatabase } from "../src/db/client.ts";
import { surveys } from "../src/db/schema/index.ts";
import { createLogger } from "../src/logger.ts";
import { resolvePeriod, segmentsOf } from "../src/metrics/periods.ts";
import { countScores } from "../src/metrics/score-counts.ts";
import { freshDatabase, percentile } from "./support.ts";

export interface MetricsBenchResult {
  responses: number;
  seedSeconds: number;
  rollupSeconds: number;
  endpoints: Array<{ name: string; path: string; p50Ms: number; p95Ms: number; requests: number }>;
  rawGroupByMs: number;
  /** The response rate by team per month answered from the raw invitations, same run. */
  rawResponseRateMs: number;
}

const TEAMS = 12;
const MEMBERS = 60;
const CLIENTS = 500;

/** Fills the database in bulk with set-based SQL; the triggers are off and a rebuild follows. */
async function seed(url: string, responses: number) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe("set session_replication_role = replica");
    await sql.unsafe(`
      insert into teams (key, name) select 'team-' || n, 'Team ' || n from generate_series(1, ${TEAMS}) n;
      insert into members (external_id, name, team_id)
        select 'member-' || n, 'Member ' || n, (select id from teams where key = 'team-' || (1 + n % ${TEAMS}))
        from generate_series(1, ${MEMBERS}) n;
      insert into clients (external_id, name, active_since)
        select 'client-' || n, 'Client ' || n, now() - interval '3 years' from generate_series(1, ${CLIENTS}) n;
      insert into surveys (key, scale, trigger) values ('bench-csat', 'csat3', 'ticket.closed'),
        ('bench-nps', 'nps', 'project.completed');
      create temp table bench_members as
        select row_number() over (order by m.external_id) - 1 as n, m.id, m.team_id from members m;
      create temp table bench_clients as
        select row_number() over (order by c.external_id) - 1 as n, c.id from clients c;
      create temp table bench_items as
        select n, gen_random_uuid() as id, gen_random_uuid() as invitation_id,
          now() - (random() * interval '365 days') as closed_at
        from generate_series(1, ${responses}) n;
      insert into contacts (client_id, external_id, email)
        select c.id, 'contact-' || c.n, 'contact-' || c.n || '@client.example' from bench_clients c;
      insert into work_items (id, kind, external_id, client_id, board, status, opened_at, closed_at)
        select i.id, 'ticket', 'bench-' || i.n, c.id,
          (array['Help Desk', 'Projects', 'Alignment', null])[1 + i.n % 4], 'closed',
          i.closed_at - (random() * interval '72 hours'), i.closed_at
        from bench_items i join bench_clients c on c.n = i.n % ${CLIENTS};
      -- One to three touches per item; one in ten by a member lent to another team.
      insert into touches (work_item_id, member_id, team_id, role, at, minutes)
        select i.id, m.id,
          case when (i.n + k) % 10 = 0 then (select id from teams where key = 'team-' || (1 + (i.n + k) % ${TEAMS})) else m.team_id end,
          'time-entry', i.closed_at - k * interval '1 hour',
          case when i.n % 5 = 0 then null else (15 * (1 + (i.n * k) % 8))::int end
        from bench_items i
        cross join lateral generate_series(1, 1 + i.n % 3) k
        join bench_members m on m.n = (i.n * 7 + k * 13) % ${MEMBERS};
      -- One sent invitation per response, and two in five items also sent the other survey,
      -- which nobody answered.
      insert into invitations (id, survey_id, work_item_id, contact_id, client_id, token_hash,
          token_nonce, status, send_at, next_attempt_at, sent_at, expires_at)
        select coalesce(x.invitation_id, gen_random_uuid()), s.id, x.id, k.id, c.id,
          'bench-' || x.n || '-' || s.key, 'nonce', 'sent', x.sent_at, x.sent_at, x.sent_at,
          x.sent_at + interval '14 days'
        from (
          select i.n, i.id, i.invitation_id, i.closed_at + interval '10 minutes' as sent_at,
            case when i.n % 10 < 7 then 'bench-csat' else 'bench-nps' end as survey
          from bench_items i
          union all
          select i.n, i.id, null, i.closed_at + interval '10 minutes',
            case when i.n % 10 < 7 then 'bench-nps' else 'bench-csat' end
          from bench_items i where i.n % 5 < 2
        ) x
        join surveys s on s.key = x.survey
        join bench_clients c on c.n = x.n % ${CLIENTS}
        join contacts k on k.external_id = 'contact-' || c.n;
      insert into responses (invitation_id, survey_id, work_item_id, client_id, scale, score, state,
          source, responded_at, final_at)
        select i.invitation_id, s.id, i.id, c.id, s.scale,
          case when s.scale = 'nps' then (i.n * 7) % 11 else 1 + (i.n * 5) % 3 end,
          case when i.n % 37 = 0 then 'quarantined' else 'recorded' end, 'email',
          i.closed_at + interval '2 hours', i.closed_at + interval '3 hours'
        from bench_items i
        join bench_clients c on c.n = i.n % ${CLIENTS}
        join surveys s on s.key = case when i.n % 10 < 7 then 'bench-csat' else 'bench-nps' end;
      insert into response_feed_positions (response_id, seq)
        select id, row_number() over (order by updated_at, id) from responses;
    `);
    // The rebuild runs with foreign-key checks still off: the rows above are consistent by
    // construction.
    const started = performance.now();
    await sql.unsafe("select rapport_rollup_rebuild()");
    await sql.unsafe("set session_replication_role = origin");
    await sql.unsafe("analyze");
    return (performance.now() - started) / 1000;
  } finally {
    await sql.end();
  }
}

export async function benchMetrics(options: {
  databaseUrl: string;
  responses: number;
  requests?: number;
  /** Leaves the seeded database in place (its URL is printed) to look at afterwards. */
  keepDatabase?: boolean;
}): Promise<MetricsBenchResult> {
  const fresh = await freshDatabase(options.databaseUrl, "metrics");
  const database = await openDatabase({ driver: "postgres", url: fresh.url, poolSize: 4 });
  try {
    const seedStarted = performance.now();
    const rollupSeconds = await seed(fresh.url, options.responses);
    const seedSeconds = (performance.now() - seedStarted) / 1000 - rollupSeconds;
    const config = loadConfig({
      DATABASE_URL: fresh.url,
      LOG_LEVEL: "silent",
      WORKER_ENABLED: "false",
    });
    const logger = createLogger("silent");
    const ctx = { db: database.db, clock: systemClock, config, logger };
    const app = createApp({ config, logger, database, clock: systemClock });
    const { key } = await createApiKey({ ctx, input: { name: "bench", scopes: ["metrics:read"] } });
    const now = new Date();
    const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1))
      .toISOString()
      .slice(0, 10);
    const from = new Date(Date.UTC(now.getUTCFullYear() - 1, now.getUTCMonth() + 1, 1))
      .toISOString()
      .slice(0, 10);
    const range = `from=${from}&to=${to}`;
    const cases = [
      ["csat by team per month", `/v1/metrics/csat?${range}&groupBy=team&interval=month`],
      [
        "csat by team per month, weighted",
        `/v1/metrics/csat?${range}&groupBy=team&interval=month&credit=weighted`,
      ],
      [
        "csat by team per Berlin month",
        `/v1/metrics/csat?${range}&groupBy=team&interval=month&tz=Europe/Berlin`,
      ],
      ["nps by team per month", `/v1/metrics/nps?${range}&groupBy=team&interval=month`],
      ["csat by member per quarter", `/v1/metrics/csat?${range}&groupBy=member&interval=quarter`],
      [
        "response rate by team per month",
        `/v1/metrics/response-rate?${range}&groupBy=team&interval=month`,
      ],
    ] as const;
    const requests = options.requests ?? 40;
    const endpoints: MetricsBenchResult["endpoints"] = [];
    for (const [name, path] of cases) {
      const times: number[] = [];
      for (let i = 0; i < requests + 3; i++) {
        const started = performance.now();
        const response = await app.request(path, { headers: { authorization: `Bearer ${key}` } });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
        if (i >= 3) times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      endpoints.push({
        name,
        path,
        p50Ms: round(percentile(times, 50)),
        p95Ms: round(percentile(times, 95)),
        requests,
      });
    }
    // The same question (CSAT by team per month) answered by a GROUP BY over the raw rows.
    const period = await resolvePeriod(database.db, { from, to, tz: "UTC", interval: "month" });
    const surveyIds = (await database.db.select({ id: surveys.id }).from(surveys)).map((s) => s.id);
    const rawStarted = performance.now();
    await countScores(database.db, {
      source: "responses",
      segments: segmentsOf(period.buckets),
      groupBy: ["team"],
      filters: { survey: surveyIds },
      credit: "shared",
      strategy: "raw",
      lines: "stored",
    });
    const rawGroupByMs = round(performance.now() - rawStarted);
    // The response rate by team per month from the raw invitations and responses.
    const rateStarted = performance.now();
    await countScores(database.db, {
      source: "invitations",
      segments: segmentsOf(period.buckets),
      groupBy: ["team"],
      filters: {},
      credit: "shared",
      strategy: "raw",
      lines: "stored",
    });
    const rawResponseRateMs = round(performance.now() - rateStarted);
    return {
      responses: options.responses,
      seedSeconds: round(seedSeconds),
      rollupSeconds: round(rollupSeconds),
      endpoints,
      rawGroupByMs,
      rawResponseRateMs,
    };
  } finally {
    await database.close();
    if (options.keepDatabase) {
      console.error(`kept ${fresh.url}`);
      await fresh.keep();
    } else await fresh.drop();
  }
}

const round = (value: number) => Math.round(value * 10) / 10;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      responses: { type: "string", default: "1000000" },
      "database-url": { type: "string" },
      requests: { type: "string", default: "40" },
      keep: { type: "boolean", default: false },
    },
  });
  const databaseUrl = values["database-url"] ?? process.env.TEST_DATABASE_URL;
  if (!databaseUrl) {
    console.error("Give --database-url postgres://... or set TEST_DATABASE_URL.");
    process.exit(2);
  }
  const result = await benchMetrics({
    databaseUrl,
    responses: Number(values.responses),
    requests: Number(values.requests),
    keepDatabase: values.keep,
  });
  console.log(JSON.stringify(result, null, 2));
}
