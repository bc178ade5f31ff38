import type { ServiceContext } from "../context.ts";
import { ApiError } from "../http/errors.ts";
import { unstorablePath } from "../http/validation.ts";
import { CanonicalEvent } from "../intake/event.ts";
import { type IngestResult, ingestEvent } from "../intake/ingest.ts";
import {
  type DeadLetter,
  getDeadLetter,
  keptHeaders,
  markReplayed,
  recordDeadLetter,
  recordReplayFailure,
} from "../integrations/dead-letters.ts";
import { type IntegrationConfig, loadIntegration } from "../integrations/integrations.ts";
import { type Vendor, vendors } from "../integrations/model.ts";
import { translateAutotask } from "./autotask.ts";
import { autotaskDirectory } from "./autotask-api.ts";
import { translateConnectwise } from "./connectwise.ts";
import { connectwiseTimeEntries } from "./connectwise-api.ts";
import { verifyConnectwise } from "./connectwise-signature.ts";
import { translateHalopsa } from "./halopsa.ts";
import { verifyAutotask, verifyHalopsa } from "./signatures.ts";
import { MappingError, parseVendorJson, type Translation } from "./translation.ts";

export type WebhookOutcome =
  | ({ status: "ingested" } & IngestResult)
  | { status: "ignored"; reason: string };

/**
 * One PSA delivery: authenticate it, translate it, hand the canonical event to intake. A
 * delivery that fails authentication records nothing; one that authenticates but cannot be
 * mapped is kept as a dead letter (the only write) and answered 400 naming the field.
 */
export async function receiveWebhook({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { vendor: Vendor; integrationId: string; body: Uint8Array; headers: Headers };
}): Promise<WebhookOutcome> {
  const integration = await loadIntegration({
    ctx,
    input: { id: input.integrationId, vendor: input.vendor },
  });
  if (!integration) {
    throw new ApiError("not_found", `No active ${input.vendor} integration has this id.`);
  }
  if (input.vendor === "connectwise") await verifyConnectwise(ctx, input.body, input.headers);
  else if (input.vendor === "autotask") verifyAutotask(integration, input.body, input.headers);
  else verifyHalopsa(integration, input.headers);

  const body = new TextDecoder().decode(input.body);
  try {
    return await ingest(
      ctx,
      integration,
      await translate(integration, body, ctx.config.OUTBOUND_ALLOW_PRIVATE),
    );
  } catch (error) {
    if (!(error instanceof MappingError)) throw error;
    const letter = await recordDeadLetter({
      ctx,
      input: {
        source: sourceOf(integration),
        integrationId: integration.id,
        reason: error.message,
        field: error.field,
        body,
        headers: keptHeaders(input.headers),
      },
    });
    throw unmappable(error, letter.id);
  }
}

/**
 * Runs the adapter again on a kept delivery, typically after a mapping was fixed. The
 * signature is not checked again: only deliveries whose signature verified are kept.
 */
export async function replayDeadLetter({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { id: string };
}): Promise<{ deadLetter: DeadLetter; outcome: WebhookOutcome }> {
  const letter = await getDeadLetter({ ctx, input });
  if (!letter) throw new ApiError("not_found", "No dead letter has this id.");
  if (letter.replayedAt) throw new ApiError("conflict", "This dead letter was already replayed.");
  const vendor = vendors.find((name) => letter.source.startsWith(`${name}:`));
  const integration =
    vendor && letter.integrationId
      ? await loadIntegration({ ctx, input: { id: letter.integrationId, vendor } })
      : undefined;
  if (!integration) {
    throw new ApiError("conflict", "The integration of this dead letter is inactive or gone.");
  }
  let translation: Translation;
  try {
    translation = await translate(integration, letter.body, ctx.config.OUTBOUND_ALLOW_PRIVATE);
    // Intake and the replay mark commit together: a replay either happened or did not. The
    // mark comes first: of two concurrent replays, the second waits for the first's row lock,
    // then finds the letter replayed and records nothing.
    const outcome = await ctx.db.transaction(async (db) => {
      const tx = { ...ctx, db };
      if (!(await markReplayed({ ctx: tx, input: { id: letter.id } }))) {
        throw new ApiError("conflict", "This dead letter was already replayed.");
      }
      return ingest(tx, integration, translation);
    });
    const replayed = await getDeadLetter({ ctx, input });
    return { deadLetter: replayed ?? letter, outcome };
  } catch (error) {
    if (!(error instanceof MappingError)) throw error;
    await recordReplayFailure({
      ctx,
      input: { id: letter.id, reason: error.message, field: error.field },
    });
    throw unmappable(error, letter.id);
  }
}

/** `allowPrivate`: whether the PSA's REST API may be on a private or local address. */
async function translate(
  integration: IntegrationConfig,
  body: string,
  allowPrivate: boolean,
): Promise<Translation> {
  let payload: unknown;
  try {
    payload = parseVendorJson(body);
  } catch {
    throw new MappingError("(body)", "The body is not valid JSON.");
  }
  switch (integration.vendor) {
    case "connectwise":
      return translateConnectwise(
        integration,
        payload,
        connectwiseTimeEntries(integration, allowPrivate),
      );
    case "autotask":
      return translateAutotask(integration, payload, autotaskDirectory(integration, allowPrivate));
    case "halopsa":
      return translateHalopsa(integration, payload);
  }
}

async function ingest(
  ctx: ServiceContext,
  integration: IntegrationConfig,
  translation: Translation,
): Promise<WebhookOutcome> {
  if (translation.kind === "ignored") return { status: "ignored", reason: translation.reason };
  const parsed = CanonicalEvent.safeParse(translation.event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join(".") ?? "";
    throw new MappingError(
      `event.${path}`,
      `The translated event is invalid at ${path || "(root)"}: ${issue?.message ?? "invalid"}.`,
    );
  }
  // Whatever an adapter cut or combined, the event must be text PostgreSQL can store.
  const unstorable = unstorablePath(parsed.data);
  if (unstorable) {
    const path = unstorable.join(".");
    throw new MappingError(
      `event.${path}`,
      `The translated event holds text that cannot be stored at ${path || "(root)"}.`,
    );
  }
  const result = await ingestEvent({
    ctx,
    input: { source: sourceOf(integration), event: parsed.data },
  });
  return { status: "ingested", ...result };
}

function sourceOf(integration: IntegrationConfig): string {
  return `${integration.vendor}:${integration.id}`;
}

function unmappable(error: MappingError, deadLetterId: string): ApiError {
  return new ApiError("unmappable_payload", error.message, {
    errors: [{ path: error.field, message: error.message, in: "body" }],
    headers: { "X-Dead-Letter-Id": deadLetterId },
  });
}
