import { type SQL, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { queryRows } from "../db/client.ts";
import { ApiError } from "../http/errors.ts";
import { isDatabaseInstant } from "../http/page-cursor.ts";
import { resolveFilters } from "../metrics/lookups.ts";
import type { Filters } from "../metrics/query.ts";
import { assignFeedPositions } from "./positions.ts";

export interface AttributionLine {
  team: string;
  member: string;
  /** The (member, team) pair's share of touch minutes on the item; equal shares without minutes. */
  weight: number;
}

export interface FeedItem {
  id: string;
  score: number;
  scale: string;
  survey: string;
  state: string;
  comment: string | null;
  contactId: string | null;
  client: { externalId: string };
  workItem: {
    externalId: string;
    reference: string | null;
    kind: string;
    board: string | null;
  } | null;
  source: string;
  respondedAt: string;
  createdAt: string;
  updatedAt: string;
  attribution: AttributionLine[];
}

export interface FeedPage {
  data: FeedItem[];
  /** Pass back as `cursor` for the next page, and keep it to sync changes later. */
  nextCursor: string;
  hasMore: boolean;
}

export interface FeedInput {
  cursor?: string | undefined;
  updatedSince?: string | undefined;
  limit: number;
  state?: string[] | undefined;
  filters: Filters;
}

interface Cursor {
  seq: number;
  /** `updatedSince` of the sync's first page. */
  since?: string;
  /**
   * The highest position when that sync started: `since` filters only positions up to it.
   * Later positions are changes made since (a late touch or a board change gives a response a
   * new position but keeps its `updatedAt`), so they always come.
   */
  upTo?: number;
}

const CURSOR_FIELDS = new Set(["seq", "since", "upTo"]);

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

function decodeCursor(text: string): Cursor {
  try {
    const value = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as Cursor;
    if (
      Object.keys(value).every((field) => CURSOR_FIELDS.has(field)) &&
      Number.isSafeInteger(value.seq) &&
      value.seq >= 0 &&
      (value.since === undefined ||
        (typeof value.since === "string" && isDatabaseInstant(value.since))) &&
      (value.upTo === undefined ||
        (value.since !== undefined && Number.isSafeInteger(value.upTo) && value.upTo >= 0))
    ) {
      // A cursor from before syncs kept their start: take its own position as the start. For
      // the kept cursor of a finished sync that is exact; in the middle of a sync the rest of
      // the feed comes unfiltered, more than asked but no change lost.
      if (value.since !== undefined && value.upTo === undefined) value.upTo = value.seq;
      return value;
    }
  } catch {}
  throw new ApiError("validation_failed", "The cursor is not one this feed handed out.", {
    errors: [{ path: "cursor", message: "is not a cursor from this feed", in: "query" }],
  });
}

const list = (values: string[]) =>
  sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );

/**
 * One page of the attributed-score feed, in the order responses (and their changes) committed.
 * A changed response appears again, later in the order, with its new values.
 */
export async function readFeed(args: { ctx: ServiceContext; input: FeedInput }): Promise<FeedPage> {
  const { ctx, input } = args;
  const ids = await resolveFilters(ctx.db, input.filters);
  await assignFeedPositions(ctx);
  const cursor: Cursor = input.cursor
    ? decodeCursor(input.cursor)
    : input.updatedSince
      ? { seq: 0, since: input.updatedSince, upTo: await highestPosition(ctx) }
      : { seq: 0 };
  const conditions: SQL[] = [sql`p.seq > ${cursor.seq}`];
  if (cursor.since) {
    conditions.push(
      sql`(p.seq > ${cursor.upTo ?? 0} or r.updated_at >= ${cursor.since}::timestamptz)`,
    );
  }
  // A filter given empty (`board=`) selects nothing, as an `in ()` would if SQL had one.
  const within = (column: SQL, values: string[]) =>
    values.length ? sql`${column} in (${list(values)})` : sql`false`;
  if (input.state) conditions.push(within(sql`r.state`, input.state));
  if (ids.survey) conditions.push(within(sql`r.survey_id::text`, ids.survey));
  if (ids.client) conditions.push(within(sql`r.client_id::text`, ids.client));
  if (ids.board) conditions.push(within(sql`w.board`, ids.board));
  for (const [dim, column] of [
    ["team", "team_id"],
    ["member", "member_id"],
  ] as const) {
    const values = ids[dim];
    if (!values) continue;
    conditions.push(
      values.length
        ? sql`exists (select 1 from work_item_credits wc where wc.work_item_id = r.work_item_id
            and wc.${sql.raw(column)}::text in (${list(values)}))`
        : sql`false`,
    );
  }
  const rows = await queryRows<Record<string, unknown>>(
    ctx.db,
    sql`select p.seq::text as seq, r.id, r.score, r.scale, s.key as survey, r.state, r.comment,
        r.contact_id, c.external_id as client, r.work_item_id, w.external_id as work_item,
        w.reference, w.kind, w.board, r.source, r.responded_at, r.created_at, r.updated_at
      from response_feed_positions p
      join responses r on r.id = p.response_id
      join surveys s on s.id = r.survey_id
      join clients c on c.id = r.client_id
      left join work_items w on w.id = r.work_item_id
      where ${sql.join(conditions, sql` and `)}
      order by p.seq
      limit ${input.limit + 1}`,
  );
  const page = rows.slice(0, input.limit);
  const lines = await attributionOf(
    ctx,
    page.map((r) => r.work_item_id as string | null).filter((v): v is string => !!v),
  );
  const last = page.at(-1);
  return {
    data: page.map((r) => ({
      id: String(r.id),
      score: Number(r.score),
      scale: String(r.scale),
      survey: String(r.survey),
      state: String(r.state),
      comment: (r.comment as string | null) ?? null,
      contactId: (r.contact_id as string | null) ?? null,
      client: { externalId: String(r.client) },
      workItem: r.work_item
        ? {
            externalId: String(r.work_item),
            reference: (r.reference as string | null) ?? null,
            kind: String(r.kind),
            board: (r.board as string | null) ?? null,
          }
        : null,
      source: String(r.source),
      respondedAt: new Date(r.responded_at as string).toISOString(),
      createdAt: new Date(r.created_at as string).toISOString(),
      updatedAt: new Date(r.updated_at as string).toISOString(),
      attribution: lines.get(r.work_item_id as string) ?? [],
    })),
    nextCursor: encodeCursor({
      seq: last ? Number(last.seq) : cursor.seq,
      ...(cursor.since ? { since: cursor.since, upTo: cursor.upTo } : {}),
    }),
    hasMore: rows.length > input.limit,
  };
}

/**
 * The highest position handed out and committed. Numbers only ever grow, and one numberer at a
 * time commits them, so every position numbered after this read is above it.
 */
async function highestPosition(ctx: ServiceContext): Promise<number> {
  const [row] = await queryRows<{ top: string }>(
    ctx.db,
    sql`select coalesce(max(seq), 0)::text as top from response_feed_positions`,
  );
  return Number(row?.top ?? 0);
}

/** Credit lines of work items, as applied to the metrics (team key, member external id, weight). */
export async function attributionOf(
  ctx: ServiceContext,
  workItemIds: string[],
): Promise<Map<string, AttributionLine[]>> {
  const byItem = new Map<string, AttributionLine[]>();
  if (workItemIds.length === 0) return byItem;
  const rows = await queryRows<{
    work_item_id: string;
    team: string;
    member: string;
    weight: string;
  }>(
    ctx.db,
    sql`select wc.work_item_id, t.key as team, m.external_id as member, wc.weight::text as weight
      from work_item_credits wc
      join teams t on t.id = wc.team_id
      join members m on m.id = wc.member_id
      where wc.work_item_id::text in (${list([...new Set(workItemIds)])})
      order by t.key, m.external_id`,
  );
  for (const row of rows) {
    const lines = byItem.get(row.work_item_id) ?? [];
    lines.push({ team: row.team, member: row.member, weight: Number(row.weight) });
    byItem.set(row.work_item_id, lines);
  }
  return byItem;
}
