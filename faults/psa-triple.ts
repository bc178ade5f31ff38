// The same signed PSA delivery (ConnectWise, Autotask, HaloPSA) sent three times at once to two
// server processes: one event, one work item, one set of touches, one invitation.
import { readFileSync } from "node:fs";
import {
  AUTOTASK_CREDENTIALS,
  autotaskSignature,
  startFakeAutotask,
} from "../test/support/fake-autotask.ts";
import { haloTicketClosed } from "../test/support/halopsa-sample.ts";
import { connectwiseSignature, startKeyServer } from "../test/support/key-server.ts";
import { freshDatabase, postgresServerUrl } from "./support/database.ts";
import { type RapportProcess, startRapport, stopAll } from "./support/processes.ts";
import { scenarioSecret, seedApiKey } from "./support/seed.ts";
import { Checks, type ScenarioResult } from "./support/verdict.ts";

export interface PsaTripleOptions {
  /** Distinct deliveries per vendor, each sent three times. */
  rounds?: number;
  log?: (line: string) => void;
}

const FIXTURES = new URL("../../shared/fixtures/psa/", import.meta.url);
const CW_SIGNING_KEY = "cw-callback-signing-key-fault";
const AUTOTASK_SECRET = "autotask-webhook-secret-fault";
const HALO_BASIC = { basicUsername: "rapport", basicPassword: "halo-basic-password-fault" };

interface Delivery {
  vendor: string;
  path: string;
  body: string;
  headers: Record<string, string>;
}

export async function scenario(options: PsaTripleOptions = {}): Promise<ScenarioResult> {
  const rounds = options.rounds ?? 3;
  const log = options.log ?? (() => {});
  const checks = new Checks();
  const keys = await startKeyServer(CW_SIGNING_KEY);
  const autotask = await startFakeAutotask();
  const db = await freshDatabase(postgresServerUrl(), "psa_triple");
  const processes: RapportProcess[] = [];
  try {
    const admin = await seedApiKey(db.database.db, ["admin"]);
    const env = {
      DATABASE_URL: db.url,
      APP_SECRET: scenarioSecret(),
      CONNECTWISE_KEY_ORIGINS: keys.origin,
      RATE_LIMIT_PER_MINUTE: "100000000",
      // The fake Autotask zone is on loopback.
      OUTBOUND_ALLOW_PRIVATE: "true",
    };
    const servers = await Promise.all([startRapport("serve", env), startRapport("serve", env)]);
    processes.push(...servers);
    const [a, b] = servers.map((server) => server.baseUrl) as [string, string];

    const integration = async (json: Record<string, unknown>) => {
      const response = await fetch(`${a}/v1/integrations`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
        body: JSON.stringify(json),
      });
      if (response.status !== 201)
        throw new Error(`integration: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { id: string }).id;
    };
    const cw = await integration({
      vendor: "connectwise",
      name: "ConnectWise",
      boardTeams: { "Help Desk": "help-desk" },
    });
    const at = await integration({
      vendor: "autotask",
      name: "Autotask",
      baseUrl: autotask.baseUrl,
      boardTeams: { "8": "help-desk" },
      secrets: { webhookSecret: AUTOTASK_SECRET, ...AUTOTASK_CREDENTIALS },
    });
    const halo = await integration({
      vendor: "halopsa",
      name: "Halo",
      boardTeams: { "1st Line Support": "help-desk" },
      secrets: HALO_BASIC,
    });

    const deliveries: Delivery[] = [];
    for (let round = 0; round < rounds; round++) {
      deliveries.push(connectwiseDelivery(cw, round, keys.keyUrl()));
      autotask.records.Contacts.set(String(40_000 + round), {
        id: 40_000 + round,
        companyID: 29684,
        firstName: "Dana",
        lastName: `Whitfield ${round}`,
        emailAddress: `dana.whitfield+${round}@harbourlaw.example`,
      });
      deliveries.push(autotaskDelivery(at, round));
      deliveries.push(haloDelivery(halo, round));
    }
    log(`psa-triple: ${deliveries.length} deliveries, each three times across two servers`);

    for (const [index, delivery] of deliveries.entries()) {
      // All three at once: two to one server, one to the other.
      const answers = await Promise.all(
        [a, b, a].map(async (base) => {
          const response = await fetch(`${base}${delivery.path}`, {
            method: "POST",
            headers: { "content-type": "application/json", ...delivery.headers },
            body: delivery.body,
          });
          const text = await response.text();
          return { status: response.status, body: safeJson(text) };
        }),
      );
      const label = `${delivery.vendor} delivery ${Math.floor(index / 3) + 1}`;
      const workItems = new Set(answers.map((answer) => answer.body?.workItemId).filter(Boolean));
      const ingested = answers.filter(
        (answer) => answer.body?.status === "ingested" && !answer.body?.duplicate,
      );
      const touchesRecorded = Number(ingested[0]?.body?.touchesRecorded ?? -1);
      const workItemId = [...workItems][0] as string | undefined;
      const [row] = workItemId
        ? await db.sql<
            Array<{
              events: number;
              touches: number;
              distinct_touches: number;
              invitations: number;
            }>
          >`
            select (select count(*) from events where work_item_id = ${workItemId})::int as events,
                   (select count(*) from touches where work_item_id = ${workItemId})::int as touches,
                   (select count(distinct (member_id, role)) from touches where work_item_id = ${workItemId})::int as distinct_touches,
                   (select count(*) from invitations where work_item_id = ${workItemId})::int as invitations`
        : [undefined];
      checks.expect(
        `${label}: three 2xx, one of everything`,
        answers.every((answer) => answer.status >= 200 && answer.status < 300) &&
          workItems.size === 1 &&
          ingested.length === 1 &&
          row !== undefined &&
          row.events === 1 &&
          row.touches === row.distinct_touches &&
          row.touches === touchesRecorded &&
          row.invitations === 1,
        `statuses ${answers.map((answer) => answer.status).join(",")}, ${ingested.length} ingested ` +
          `(others duplicates), ${workItems.size} work item(s)` +
          (row
            ? `, ${row.events} event(s), ${row.touches} touches (${row.distinct_touches} distinct, ` +
              `${touchesRecorded} reported), ${row.invitations} invitation(s)`
            : `; answers ${JSON.stringify(answers.map((answer) => answer.body)).slice(0, 300)}`),
      );
    }
    return checks.result();
  } finally {
    await stopAll(processes);
    await keys.close();
    await autotask.close();
    await db.drop();
  }
}

function safeJson(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as Record<string, unknown>;
}

function connectwiseDelivery(integration: string, round: number, keyUrl: string): Delivery {
  const base = fixture("connectwise-ticket-closed.json");
  const entity = JSON.parse(base.Entity as string) as Record<string, unknown>;
  const ticket = 70_000 + round;
  entity.id = ticket;
  entity.contact = { id: 9000 + round, name: `Priya Raman ${round}` };
  entity.contactEmailAddress = `priya.raman+${round}@acmedental.example`;
  const body = JSON.stringify({
    ...base,
    MessageId: `fault-cw-${round}`,
    ID: ticket,
    CallbackObjectRecId: ticket,
    Entity: JSON.stringify(entity),
    Metadata: { key_url: keyUrl },
  });
  return {
    vendor: "connectwise",
    path: `/v1/webhooks/connectwise?integration=${integration}`,
    body,
    headers: { "x-content-signature": connectwiseSignature(CW_SIGNING_KEY, body) },
  };
}

function autotaskDelivery(integration: string, round: number): Delivery {
  const base = fixture("autotask-ticket-completed.json") as { Fields: Record<string, string> };
  const body = JSON.stringify({
    ...base,
    Guid: `0b7d5a2e-6c1f-4e39-8a8d-${String(round).padStart(12, "0")}`,
    Id: 450_000 + round,
    Fields: {
      ...base.Fields,
      TicketNumber: `T20261118.9${round}`,
      ContactID: String(40_000 + round),
    },
  });
  return {
    vendor: "autotask",
    path: `/v1/webhooks/autotask?integration=${integration}`,
    body,
    headers: { "x-hook-signature": autotaskSignature(AUTOTASK_SECRET, body) },
  };
}

function haloDelivery(integration: string, round: number): Delivery {
  const id = 80_000 + round;
  const body = haloTicketClosed(id, { webhookId: `wh-fault-${id}` });
  const basic = Buffer.from(`${HALO_BASIC.basicUsername}:${HALO_BASIC.basicPassword}`).toString(
    "base64",
  );
  return {
    vendor: "halopsa",
    path: `/v1/webhooks/halopsa?integration=${integration}`,
    body,
    headers: { authorization: `Basic ${basic}` },
  };
}
