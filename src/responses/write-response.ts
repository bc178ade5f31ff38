import type { ServiceContext } from "../context.ts";
import { queryFixed } from "../db/client.ts";
import type { Scale, WebhookEventType } from "../db/schema/index.ts";
import { onResponseChange } from "../followups/notify.ts";
import type { ClickRecord, ClickResponse, ClickTarget } from "./click-statements.ts";
import { type ResponseRow, windowEnd } from "./invitation-access.ts";

/** The fields a click or comment sets on the response; the rest are kept or defaulted. */
export type ResponseWrite = Pick<ResponseRow, "state" | "score"> &
  Partial<Pick<ResponseRow, "respondedAt" | "finalAt">>;

/*
 * One fixed statement for every response write from a score link or its comment form. The
 * click (or comment) that led to the write, if any, is inserted by the same statement ($11 says
 * whether),
 * and a conflict keeps the stored comment unless the write carries one ($19).
 */
const upsertQuery = `with click as (
    insert into clicks (invitation_id, score, verdict, reason, user_agent, accept_language, ip_hash, at,
      from_page)
    select $22::uuid, $12::int, $13::text, $14::text, $15::text, $16::text, $17::text,
      $18::timestamptz, $23::boolean
    where $11::boolean
  )
  insert into responses as r (invitation_id, survey_id, work_item_id, client_id, contact_id, scale,
    source, state, score, comment, responded_at, final_at, created_at, updated_at)
  values ($1, $2, $3, $4, $5, $6, 'email', $7, $8::int, $9, $10::timestamptz, $20::timestamptz,
    $21::timestamptz, $21::timestamptz)
  on conflict (invitation_id) do update set state = excluded.state, score = excluded.score,
    responded_at = excluded.responded_at, final_at = excluded.final_at,
    comment = case when $19::boolean then excluded.comment else r.comment end,
    updated_at = excluded.updated_at
  returning r.id, r.invitation_id, r.survey_id, r.work_item_id, r.client_id, r.contact_id, r.scale,
    r.score::int as score, r.state, r.comment, r.source, r.idempotency_key, r.request_hash,
    r.responded_at, r.final_at, r.created_at, r.updated_at`;

type Timestamp = Date | string;

interface ResponseSqlRow {
  id: string;
  invitation_id: string | null;
  survey_id: string;
  work_item_id: string | null;
  client_id: string;
  contact_id: string | null;
  scale: Scale;
  score: number;
  state: ResponseRow["state"];
  comment: string | null;
  source: ResponseRow["source"];
  idempotency_key: string | null;
  request_hash: string | null;
  responded_at: Timestamp;
  final_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/**
 * Inserts or updates the invitation's one response and tells follow-ups, in this transaction.
 * The upsert's conflict target is the unique invitation index: the database keeps it single.
 * A click that led to the write is inserted by the same statement.
 */
export async function writeResponse(
  ctx: ServiceContext,
  target: ClickTarget,
  previous: ClickResponse | undefined,
  write: ResponseWrite,
  now: Date,
  extra: {
    comment?: string | null;
    click?: ClickRecord;
    webhookTypes?: ReadonlySet<WebhookEventType>;
  } = {},
): Promise<ResponseRow> {
  const { comment, click } = extra;
  const { invitation, survey } = target;
  const respondedAt = write.respondedAt ?? previous?.respondedAt ?? now;
  const finalAt = write.finalAt ?? previous?.finalAt ?? windowEnd(survey, now);
  const [row] = await queryFixed<ResponseSqlRow>(ctx.db, upsertQuery, [
    invitation.id,
    survey.id,
    invitation.workItemId,
    invitation.clientId,
    invitation.contactId,
    survey.scale,
    write.state,
    write.score,
    comment ?? null,
    respondedAt.toISOString(),
    click !== undefined,
    click?.score ?? null,
    click?.verdict ?? null,
    click?.reason ?? null,
    click?.userAgent ?? null,
    click?.acceptLanguage ?? null,
    click?.ipHash ?? null,
    click?.at.toISOString() ?? null,
    comment !== undefined,
    finalAt.toISOString(),
    now.toISOString(),
    click?.invitationId ?? null,
    click?.fromPage ?? false,
  ]);
  const current = responseOf(row!);
  await onResponseChange({
    ctx,
    input: { previous, current, webhookTypes: extra.webhookTypes },
  });
  return current;
}

function responseOf(row: ResponseSqlRow): ResponseRow {
  return {
    id: row.id,
    invitationId: row.invitation_id,
    surveyId: row.survey_id,
    workItemId: row.work_item_id,
    clientId: row.client_id,
    contactId: row.contact_id,
    scale: row.scale,
    score: row.score,
    state: row.state,
    comment: row.comment,
    source: row.source,
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    respondedAt: new Date(row.responded_at),
    finalAt: new Date(row.final_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
