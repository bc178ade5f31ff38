import { type Db, parsedJson, queryFixed } from "../db/client.ts";
import type { ClickWindowEntry, Scale, WebhookEventType } from "../db/schema/index.ts";
import { isoTimestamp } from "../instant.ts";
import { hashToken } from "../surveys/tokens.ts";
import { eventTypesOf, subscribedTypesArrayText } from "../webhooks/outbox.ts";
import { type RecentClick, senderOf } from "./burst.ts";
import type { InvitationRow, ResponseRow, SurveyRow } from "./invitation-access.ts";

/*
 * The statements every score-link click runs, as fixed text selecting only what a click decides
 * on and its page shows: they run on every request of the busiest public path, so they skip the
 * query builder and stay prepared on the connection.
 */

/** The invitation a click opens, with what its decision and page need of survey and contact. */
export interface ClickTarget {
  invitation: Pick<
    InvitationRow,
    | "id"
    | "workItemId"
    | "contactId"
    | "clientId"
    | "status"
    | "expiresAt"
    | "sentAt"
    | "deliveredAt"
  >;
  survey: Pick<SurveyRow, "id" | "scale" | "editWindowMinutes" | "followUpQuestions">;
  contact: { id: string; locale: string | null };
}

/** What a click needs of the invitation's response, whichever statement read it. */
export type ClickResponse = Pick<
  ResponseRow,
  "id" | "state" | "score" | "comment" | "scale" | "respondedAt" | "finalAt"
>;

type Timestamp = Date | string;
const dateOf = (value: Timestamp) => new Date(value);
const dateOrNull = (value: Timestamp | null) => (value === null ? null : new Date(value));

const targetSelect = `i.id, i.work_item_id, i.contact_id, i.client_id, i.status,
    i.expires_at, i.sent_at, i.delivered_at, s.id as survey_id, s.scale,
    s.edit_window_minutes::int as edit_window_minutes, s.follow_up_questions, c.locale`;

/**
 * The invitation's row lock, taken by bumping its click version: a click decided on a snapshot
 * taken before it can no longer commit (see `insertClickIfUnchanged`).
 */
const lockedTargetQuery = `update invitations i set click_version = i.click_version + 1
  from surveys s, contacts c
  where s.id = i.survey_id and c.id = i.contact_id and i.token_hash = $1
  returning ${targetSelect}`;

const responseSelect = `r.id as response_id, r.state, r.score::int as score, r.comment,
    r.scale as response_scale, r.responded_at, r.final_at`;

const recentSelect = `coalesce((
      select json_agg(json_build_object('id', k.id, 'score', k.score, 'verdict', k.verdict,
        'reason', k.reason, 'at', k.at, 'userAgent', k.user_agent, 'acceptLanguage', k.accept_language,
        'ipHash', k.ip_hash, 'fromPage', k.from_page))
      from clicks k
      where k.invitation_id = i.id and k.at > $2::timestamptz and k.verdict <> 'ignored'
    ), '[]'::json) as recent`;

interface TargetRow {
  id: string;
  work_item_id: string | null;
  contact_id: string;
  client_id: string;
  status: InvitationRow["status"];
  expires_at: Timestamp;
  sent_at: Timestamp | null;
  delivered_at: Timestamp | null;
  survey_id: string;
  scale: Scale;
  edit_window_minutes: number;
  follow_up_questions: Record<string, string>;
  locale: string | null;
}

function targetOf(row: TargetRow): ClickTarget {
  return {
    invitation: {
      id: row.id,
      workItemId: row.work_item_id,
      contactId: row.contact_id,
      clientId: row.client_id,
      status: row.status,
      expiresAt: dateOf(row.expires_at),
      sentAt: dateOrNull(row.sent_at),
      deliveredAt: dateOrNull(row.delivered_at),
    },
    survey: {
      id: row.survey_id,
      scale: row.scale,
      editWindowMinutes: row.edit_window_minutes,
      followUpQuestions: row.follow_up_questions,
    },
    contact: { id: row.contact_id, locale: row.locale },
  };
}

/**
 * The click's invitation by its token, under its row lock: one invitation's clicks are decided
 * one after another, whatever the number of server processes.
 */
export async function lockClickTarget(db: Db, token: string): Promise<ClickTarget | undefined> {
  const [row] = await queryFixed<TargetRow>(db, lockedTargetQuery, [hashToken(token)]);
  return row ? targetOf(row) : undefined;
}

/** What a click is decided on, besides its invitation. */
export interface ClickState {
  previous: ClickResponse | undefined;
  /** The invitation's clicks since `since` that took part in a decision (not look-aheads). */
  recent: RecentClick[];
  /** The event types active webhook subscriptions want, read in the same statement. */
  webhookTypes: Set<WebhookEventType>;
}

const stateQuery = `select ${responseSelect}, ${recentSelect},
    ${subscribedTypesArrayText} as webhook_types
  from invitations i
  left join responses r on r.invitation_id = i.id
  where i.token_hash = $1`;

interface ResponseSqlRow {
  response_id: string | null;
  state: ResponseRow["state"] | null;
  score: number | null;
  comment: string | null;
  response_scale: Scale | null;
  responded_at: Timestamp | null;
  final_at: Timestamp | null;
}

function previousOf(row: ResponseSqlRow): ClickResponse | undefined {
  return row.response_id === null
    ? undefined
    : {
        id: row.response_id,
        state: row.state!,
        score: row.score!,
        comment: row.comment,
        scale: row.response_scale!,
        respondedAt: dateOf(row.responded_at!),
        finalAt: dateOf(row.final_at!),
      };
}

interface RecentClickJson {
  id: string;
  score: number;
  verdict: string;
  reason: string | null;
  at: string;
  userAgent: string | null;
  acceptLanguage: string | null;
  ipHash: string | null;
  fromPage: boolean;
}

interface StateRow extends ResponseSqlRow {
  recent: RecentClickJson[] | string;
  webhook_types: string[] | string | null;
}

/**
 * The response and recent clicks of the invitation a token opens, in one statement. Sent right
 * behind `lockClickTarget` on the same connection, it runs once the row lock is held, with a
 * fresh snapshot: it sees everything the clicks before it committed. (A single statement that
 * both waits for the lock and reads the response would read from before the wait.)
 */
export async function clickStateOf(
  db: Db,
  token: string,
  since: Date,
): Promise<ClickState | undefined> {
  const [row] = await queryFixed<StateRow>(db, stateQuery, [hashToken(token), since.toISOString()]);
  if (!row) return undefined;
  return {
    previous: previousOf(row),
    recent: parsedJson(row.recent).map(recentClickOf),
    webhookTypes: eventTypesOf(row.webhook_types),
  };
}

function recentClickOf(click: RecentClickJson): RecentClick {
  return {
    id: click.id,
    score: click.score,
    verdict: click.verdict,
    reason: click.reason,
    at: new Date(click.at),
    sender: senderOf(click),
    fromPage: click.fromPage === true,
  };
}

const answerSetterQuery = `select k.id, k.score, k.verdict, k.reason, k.at, k.user_agent as "userAgent",
    k.accept_language as "acceptLanguage", k.ip_hash as "ipHash", k.from_page as "fromPage"
  from clicks k
  where k.invitation_id = $1 and k.at = $2::timestamptz and k.verdict in ('recorded', 'changed')
    and k.reason is distinct from 'repeat'
  order by k.id
  limit 1`;

/**
 * The click that gave an invitation's answer (the answer's time is that click's), however long
 * ago; undefined for an answer given otherwise (through the API).
 */
export async function answerSetter(
  db: Db,
  invitationId: string,
  respondedAt: Date,
): Promise<RecentClick | undefined> {
  const [row] = await queryFixed<RecentClickJson>(db, answerSetterQuery, [
    invitationId,
    respondedAt.toISOString(),
  ]);
  return row && recentClickOf(row);
}

const snapshotQuery = `select ${targetSelect}, i.click_version, i.click_window, ${responseSelect}
  from invitations i
  join surveys s on s.id = i.survey_id
  join contacts c on c.id = i.contact_id
  left join responses r on r.invitation_id = i.id
  where i.token_hash = $1`;

/** A click's invitation, its response and click window, read together without a lock. */
export interface ClickSnapshot {
  target: ClickTarget;
  previous: ClickResponse | undefined;
  /** The invitation's click window (see `burst.ts`); null when unknown. */
  window: ClickWindowEntry[] | null;
  /** The invitation's click version the snapshot saw. */
  version: number;
}

interface SnapshotRow extends TargetRow, ResponseSqlRow {
  click_version: number;
  click_window: ClickWindowEntry[] | string | null;
}

/** The snapshot of the invitation whose token has this hash (`hashToken`). */
export async function clickSnapshot(db: Db, tokenHash: string): Promise<ClickSnapshot | undefined> {
  const [row] = await queryFixed<SnapshotRow>(db, snapshotQuery, [tokenHash]);
  if (!row) return undefined;
  return {
    target: targetOf(row),
    previous: previousOf(row),
    window: row.click_window === null ? null : parsedJson(row.click_window),
    version: row.click_version,
  };
}

const insertClickQuery = `insert into clicks
    (invitation_id, score, verdict, reason, user_agent, accept_language, ip_hash, at, from_page)
  values ($1, $2::int, $3, $4, $5, $6, $7, $8::timestamptz, $9::boolean)`;

/** A click that changes no response, kept as evidence. */
export interface ClickRecord {
  invitationId: string;
  score: number;
  verdict: string;
  reason: string | null;
  userAgent: string | null;
  acceptLanguage: string | null;
  ipHash: string | null;
  at: Date;
  /** Given on the thank-you page: never part of a burst (see `clicks.fromPage`). */
  fromPage: boolean;
}

const clickParams = (click: ClickRecord) => [
  click.invitationId,
  click.score,
  click.verdict,
  click.reason,
  click.userAgent,
  click.acceptLanguage,
  click.ipHash,
  isoTimestamp(click.at.getTime()),
  click.fromPage,
];

export async function insertClick(db: Db, click: ClickRecord): Promise<void> {
  await queryFixed(db, insertClickQuery, clickParams(click));
}

/** The window as a parameter: text, cast in the statement (drivers differ on json parameters). */
const windowParam = (window: ClickWindowEntry[] | null) =>
  window === null ? null : JSON.stringify(window);

const setClickWindowQuery = `update invitations set click_window = $2::text::jsonb where id = $1`;

/** Writes an invitation's click window; under its row lock, like every click decision. */
export async function setClickWindow(
  db: Db,
  invitationId: string,
  window: ClickWindowEntry[] | null,
): Promise<void> {
  await queryFixed(db, setClickWindowQuery, [invitationId, windowParam(window)]);
}

const insertClickIfUnchangedQuery = `with claimed as (
    update invitations set click_version = click_version + 1, click_window = $11::text::jsonb
    where id = $1 and click_version = $10::int and status <> 'cancelled'
      and expires_at > $8::timestamptz
      and date_trunc('milliseconds', sent_at) is not distinct from $12::timestamptz
      and date_trunc('milliseconds', delivered_at) is not distinct from $13::timestamptz
    returning id, survey_id, contact_id
  ), kept as (
    insert into clicks
      (invitation_id, score, verdict, reason, user_agent, accept_language, ip_hash, at, from_page)
    select id, $2::int, $3, $4, $5, $6, $7, $8::timestamptz, $9::boolean from claimed
  )
  select c.locale, s.follow_up_questions
  from claimed k
  join surveys s on s.id = k.survey_id
  join contacts c on c.id = k.contact_id`;

/** What a snapshot's click was decided on besides the response: checked when it is kept. */
export interface SnapshotCheck {
  version: number;
  /** The invitation's click window after the click. */
  window: ClickWindowEntry[] | null;
  /** The send and delivery times the scanner signature was read against. */
  sentAt: Date | null;
  deliveredAt: Date | null;
}

/** The parts of a click's page that no click version covers, as they are when it is kept. */
export interface PageData {
  locale: string | null;
  followUpQuestions: Record<string, string>;
}

const isoOrNull = (value: Date | null) => (value === null ? null : value.toISOString());

/**
 * Keeps a click decided on a snapshot, with the invitation's click window after it, in one
 * statement, if no decision and no change to the invitation came between: the bump waits for the
 * row lock, then re-checks the version, the send and delivery times and that the link is still
 * open on the row's newest version. Answers the page data as they are now (a contact's language
 * and a survey's follow-up question change without a version), or undefined when the click must
 * be decided again.
 */
export async function insertClickIfUnchanged(
  db: Db,
  click: ClickRecord,
  snapshot: SnapshotCheck,
): Promise<PageData | undefined> {
  const [row] = await queryFixed<{
    locale: string | null;
    follow_up_questions: Record<string, string>;
  }>(db, insertClickIfUnchangedQuery, [
    ...clickParams(click),
    snapshot.version,
    windowParam(snapshot.window),
    isoOrNull(snapshot.sentAt),
    isoOrNull(snapshot.deliveredAt),
  ]);
  return row && { locale: row.locale, followUpQuestions: parsedJson(row.follow_up_questions) };
}
