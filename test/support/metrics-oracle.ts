import { eq } from "drizzle-orm";
import type { Db } from "../../src/db/client.ts";
import { invitations, responses, surveys, touches, workItems } from "../../src/db/schema/index.ts";
import {
  createClient,
  createContact,
  createInvitation,
  createMember,
  createResponse,
  createSurvey,
  createTeam,
  createTouch,
  createWorkItem,
} from "./factories.ts";

/**
 * An independent, in-memory computation of the metrics from plain rows, to compare with the
 * API. It shares no code with src/metrics: credit lines, buckets and intervals are redone here.
 */

export interface OracleData {
  responses: Array<{
    id: string;
    surveyId: string;
    workItemId: string | null;
    clientId: string;
    score: number;
    state: string;
    respondedAt: Date;
    invitationId: string | null;
  }>;
  touches: Array<{ workItemId: string; memberId: string; teamId: string; minutes: number | null }>;
  workItems: Array<{ id: string; board: string | null }>;
  surveys: Array<{ id: string; key: string; scale: string }>;
  invitations: Array<{
    id: string;
    surveyId: string;
    workItemId: string | null;
    clientId: string;
    sentAt: Date | null;
  }>;
}

export type OracleDim = "team" | "member" | "client" | "board" | "survey" | "escalation";

export interface OracleQuery {
  metric: "csat" | "nps" | "response-rate";
  from: Date;
  to: Date;
  groupBy: OracleDim[];
  /** Bucket label of an instant (e.g. local `YYYY-MM`), or none. */
  bucketOf?: (at: Date) => string;
  filters: Partial<Record<"team" | "member" | "client" | "survey" | "board", string[]>>;
  credit: "shared" | "weighted";
}

export interface OracleFigure {
  n: number;
  value: number | null;
  counts: Record<string, number>;
}

interface Line {
  memberId: string;
  teamId: string;
  weight: number;
}

function linesOf(data: OracleData, itemId: string | null): Line[] {
  if (!itemId) return [];
  const pairs = new Map<string, { memberId: string; teamId: string; minutes: number }>();
  for (const t of data.touches.filter((x) => x.workItemId === itemId)) {
    const id = `${t.memberId}/${t.teamId}`;
    const pair = pairs.get(id) ?? { memberId: t.memberId, teamId: t.teamId, minutes: 0 };
    pair.minutes += t.minutes ?? 0;
    pairs.set(id, pair);
  }
  const total = [...pairs.values()].reduce((sum, p) => sum + p.minutes, 0);
  return [...pairs.values()].map((p) => ({
    memberId: p.memberId,
    teamId: p.teamId,
    weight: total > 0 ? p.minutes / total : 1 / pairs.size,
  }));
}

interface Fact {
  surveyId: string;
  workItemId: string | null;
  clientId: string;
  at: Date;
  value: number;
}

/** Figures per group id: JSON of [bucket label or "", ...group key values in groupBy order]. */
export function oracle(data: OracleData, q: OracleQuery): Map<string, OracleFigure> {
  const surveyById = new Map(data.surveys.map((s) => [s.id, s]));
  const boardOf = new Map(data.workItems.map((w) => [w.id, w.board]));
  const scales =
    q.metric === "csat" ? ["csat3", "csat5"] : q.metric === "nps" ? ["nps"] : undefined;
  const facts: Fact[] =
    q.metric === "response-rate"
      ? data.invitations
          .filter((i) => i.sentAt)
          .map((i) => ({
            ...i,
            at: i.sentAt!,
            value: data.responses.some((r) => r.invitationId === i.id && r.state === "recorded")
              ? 1
              : 0,
          }))
      : data.responses
          .filter((r) => r.state === "recorded")
          .map((r) => ({ ...r, at: r.respondedAt, value: r.score }));
  const usesCredit =
    q.groupBy.includes("team") ||
    q.groupBy.includes("member") ||
    !!q.filters.team ||
    !!q.filters.member;
  const cells = new Map<string, Map<string, number>>(); // group -> "scale:score" -> count
  for (const f of facts) {
    if (f.at < q.from || f.at >= q.to) continue;
    const survey = surveyById.get(f.surveyId)!;
    if (scales && !scales.includes(survey.scale)) continue;
    if (q.filters.survey && !q.filters.survey.includes(f.surveyId)) continue;
    if (q.filters.client && !q.filters.client.includes(f.clientId)) continue;
    const board = f.workItemId ? (boardOf.get(f.workItemId) ?? null) : null;
    if ((q.filters.board || q.groupBy.includes("board")) && board === null) continue;
    if (q.filters.board && !q.filters.board.includes(board!)) continue;
    const allLines = linesOf(data, f.workItemId);
    const teams = new Set(allLines.map((l) => l.teamId)).size;
    const escalation = teams === 0 ? "untouched" : teams === 1 ? "single-team" : "multi-team";
    const lines = allLines.filter(
      (l) =>
        (!q.filters.team || q.filters.team.includes(l.teamId)) &&
        (!q.filters.member || q.filters.member.includes(l.memberId)),
    );
    const base = (line: Line | undefined) => [
      q.bucketOf ? q.bucketOf(f.at) : "",
      ...q.groupBy.map((d) =>
        d === "team"
          ? line!.teamId
          : d === "member"
            ? line!.memberId
            : d === "client"
              ? f.clientId
              : d === "board"
                ? board
                : d === "survey"
                  ? f.surveyId
                  : escalation,
      ),
    ];
    const credit = new Map<string, { shared: number; weighted: number }>();
    if (usesCredit) {
      for (const line of lines) {
        const id = JSON.stringify(base(line));
        const c = credit.get(id) ?? { shared: 1, weighted: 0 };
        c.weighted += line.weight;
        credit.set(id, c);
      }
    } else {
      credit.set(JSON.stringify(base(undefined)), { shared: 1, weighted: 1 });
    }
    for (const [id, c] of credit) {
      const group = cells.get(id) ?? new Map<string, number>();
      const cell = `${survey.scale}:${f.value}`;
      group.set(cell, (group.get(cell) ?? 0) + (q.credit === "shared" ? c.shared : c.weighted));
      cells.set(id, group);
    }
  }
  const result = new Map<string, OracleFigure>();
  for (const [id, group] of cells) result.set(id, figureOf(q.metric, group));
  return result;
}

function figureOf(metric: OracleQuery["metric"], group: Map<string, number>): OracleFigure {
  let n = 0;
  let good = 0;
  let bad = 0;
  const counts: Record<string, number> = {};
  for (const [cell, count] of group) {
    const [scale, raw] = cell.split(":");
    const score = Number(raw);
    counts[cell] = count;
    n += count;
    if (
      metric === "csat" &&
      ((scale === "csat3" && score === 3) || (scale === "csat5" && score >= 4))
    )
      good += count;
    if (metric === "nps" && score >= 9) good += count;
    if (metric === "nps" && score <= 6) bad += count;
    if (metric === "response-rate" && score === 1) good += count;
  }
  const value = n === 0 ? null : metric === "nps" ? ((good - bad) / n) * 100 : (good / n) * 100;
  return { n, value, counts: { ...counts, good, bad } };
}

/** Local `YYYY-MM` (or `YYYY-MM-DD`) of an instant in an IANA zone. */
export function localLabel(zone: string, unit: "month" | "day"): (at: Date) => string {
  const format = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  });
  return (at) => {
    const text = format.format(at); // YYYY-MM-DD
    return unit === "month" ? text.slice(0, 7) : text;
  };
}

/** Wilson 95% interval in percent, written out again for the comparison. */
export function oracleWilson(good: number, n: number): [number, number] {
  const z = 1.959963984540054;
  const p = good / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z / d) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [Math.max(0, c - h) * 100, Math.min(1, c + h) * 100];
}

// --- The generated scenario the tests compare on. ---

/** A small deterministic PRNG so a failing scenario can be replayed. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!,
  };
}

export interface Scenario {
  names: {
    team: Map<string, string>;
    member: Map<string, string>;
    client: Map<string, string>;
    survey: Map<string, string>;
  };
  ids: {
    teams: string[];
    members: string[];
    clients: string[];
    surveys: Record<"csat3" | "csat5" | "nps", string>;
  };
  items: string[];
}

/**
 * Multi-team tickets, a member who moves team, touches with and without minutes, quarantined
 * and flagged clicks, late touches after the response, a board change, and a response at
 * 2026-10-31T23:30Z (November in Europe/Berlin).
 */
export async function buildScenario(db: Db, secret: string, seed: number): Promise<Scenario> {
  const rand = prng(seed);
  const teams = [await createTeam(db), await createTeam(db), await createTeam(db)];
  const members = [
    await createMember(db, { teamId: teams[0]!.id }),
    await createMember(db, { teamId: teams[0]!.id }),
    await createMember(db, { teamId: teams[1]!.id }),
    await createMember(db, { teamId: teams[2]!.id }),
  ];
  const clients = [await createClient(db), await createClient(db)];
  const contacts = [
    await createContact(db, { clientId: clients[0]!.id }),
    await createContact(db, { clientId: clients[1]!.id }),
  ];
  const survey = {
    csat3: await createSurvey(db, { scale: "csat3" }),
    csat5: await createSurvey(db, { scale: "csat5" }),
    nps: await createSurvey(db, { scale: "nps" }),
  };
  // Member 1 moves from team 0 to team 1: touches carry the team of their moment.
  const teamOf = (m: number) => (m === 1 ? rand.pick([0, 1]) : [0, 0, 1, 2][m]!);
  const items: string[] = [];
  const start = Date.parse("2026-09-20T00:00:00Z");
  const span = Date.parse("2026-12-10T00:00:00Z") - start;
  for (let i = 0; i < 36; i++) {
    const c = rand.int(0, 1);
    const item = await createWorkItem(db, {
      clientId: clients[c]!.id,
      board: rand.pick(["Help Desk", "Projects", null]),
      openedAt: new Date(Date.parse("2026-11-18T16:40:00Z") - rand.int(1, 200) * 3_600_000),
    });
    items.push(item.id);
    const noMinutes = rand.next() < 0.3;
    for (let t = rand.int(0, 3); t > 0; t--) {
      const m = rand.int(0, 3);
      await createTouch(db, {
        workItemId: item.id,
        memberId: members[m]!.id,
        teamId: teams[teamOf(m)]!.id,
        at: new Date(start + t * 60_000 + i),
        minutes: noMinutes ? null : rand.pick([null, 0, 15, 30, 45, 120]),
        role: rand.pick(["owner", "resource", "time-entry"] as const),
      });
    }
    for (const scale of ["csat3", "csat5", "nps"] as const) {
      const pinned = i === 0 && scale === "csat3";
      if (!pinned && rand.next() < 0.45) continue;
      const at = pinned
        ? new Date("2026-10-31T23:30:00Z")
        : new Date(start + Math.floor(rand.next() * span));
      const sent = rand.next() < 0.8;
      const { invitation } = await createInvitation(db, secret, {
        surveyId: survey[scale].id,
        workItemId: item.id,
        contactId: contacts[c]!.id,
        clientId: clients[c]!.id,
        sentAt: sent ? new Date(at.getTime() - 3_600_000) : null,
        status: sent ? "sent" : "scheduled",
      });
      if (!pinned && rand.next() < 0.3) continue; // sent, never answered
      const score =
        scale === "nps" ? rand.int(0, 10) : scale === "csat5" ? rand.int(1, 5) : rand.int(1, 3);
      await createResponse(db, {
        surveyId: survey[scale].id,
        clientId: clients[c]!.id,
        workItemId: item.id,
        invitationId: invitation.id,
        scale,
        score,
        respondedAt: at,
        state:
          i === 0
            ? "recorded"
            : rand.pick(["recorded", "recorded", "recorded", "quarantined", "flagged"] as const),
      });
    }
  }
  // Late touches: time entries arriving after the responses.
  for (const itemId of items.filter(() => rand.next() < 0.3)) {
    const m = rand.int(0, 3);
    await createTouch(db, {
      workItemId: itemId,
      memberId: members[m]!.id,
      teamId: teams[teamOf(m)]!.id,
      at: new Date("2026-12-11T10:00:00Z"),
      minutes: rand.pick([null, 10, 60]),
      role: "time-entry",
    });
  }
  // A changed score, a click quarantined after the fact, and a board move.
  const [someResponse] = await db
    .select()
    .from(responses)
    .where(eq(responses.state, "recorded"))
    .limit(1);
  if (someResponse) {
    await db
      .update(responses)
      .set({ score: someResponse.scale === "nps" ? 10 : someResponse.scale === "csat5" ? 5 : 3 })
      .where(eq(responses.id, someResponse.id));
  }
  await db.update(workItems).set({ board: "Escalations" }).where(eq(workItems.id, items[1]!));
  return {
    names: {
      team: new Map(teams.map((t) => [t.key, t.id])),
      member: new Map(members.map((m) => [m.externalId, m.id])),
      client: new Map(clients.map((c) => [c.externalId, c.id])),
      survey: new Map(Object.values(survey).map((s) => [s.key, s.id])),
    },
    ids: {
      teams: teams.map((t) => t.id),
      members: members.map((m) => m.id),
      clients: clients.map((c) => c.id),
      surveys: { csat3: survey.csat3.id, csat5: survey.csat5.id, nps: survey.nps.id },
    },
    items,
  };
}

/** Every row the oracle needs, read back as stored. */
export async function oracleData(db: Db): Promise<OracleData> {
  return {
    responses: await db.select().from(responses),
    touches: await db.select().from(touches),
    workItems: await db.select({ id: workItems.id, board: workItems.board }).from(workItems),
    surveys: await db
      .select({ id: surveys.id, key: surveys.key, scale: surveys.scale })
      .from(surveys),
    invitations: await db.select().from(invitations),
  };
}
