import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export const AUTOTASK_CREDENTIALS = {
  apiUsername: "rapport-api@northwind.example",
  apiSecret: "fake-autotask-secret",
  apiIntegrationCode: "FAKEINTEGRATIONCODE",
};

/**
 * The body that creates an Autotask integration with these API credentials and `webhookSecret`
 * (queue 8 is the help desk's); `fields` add to it or replace its parts.
 */
export function autotaskIntegration(webhookSecret: string, fields: Record<string, unknown> = {}) {
  return {
    vendor: "autotask",
    name: "Autotask",
    baseUrl: "https://webservices5.autotask.net/ATServicesRest",
    boardTeams: { "8": "help-desk" },
    secrets: { webhookSecret, ...AUTOTASK_CREDENTIALS },
    ...fields,
  };
}

type Entity = "Contacts" | "Companies" | "Resources" | "Tickets";

/**
 * A loopback Autotask REST zone: `GET /ATServicesRest/V1.0/{Entity}/{id}` answers `{item}`
 * (`{item: null}` for an unknown id, as Autotask does) when the API headers match, 401 otherwise.
 */
export interface FakeAutotask {
  /** The zone URL to configure as the integration's baseUrl. */
  baseUrl: string;
  records: Record<Entity, Map<string, Record<string, unknown>>>;
  requests: Array<{ path: string; headers: Record<string, string | string[] | undefined> }>;
  /** Makes every request answer this status until reset with undefined. */
  failWith(status: number | undefined): void;
  close(): Promise<void>;
}

export async function startFakeAutotask(): Promise<FakeAutotask> {
  const records: FakeAutotask["records"] = {
    Contacts: new Map([
      [
        "30712",
        {
          id: 30712,
          companyID: 29684,
          firstName: "Dana",
          lastName: "Whitfield",
          emailAddress: "dana.whitfield@harbourlaw.example",
        },
      ],
    ]),
    Companies: new Map([["29684", { id: 29684, companyName: "Harbour Law LLP" }]]),
    Tickets: new Map(),
    Resources: new Map([
      [
        "29682931",
        {
          id: 29682931,
          firstName: "Sam",
          lastName: "Okafor",
          email: "sam.okafor@northwind.example",
          userName: "sokafor",
        },
      ],
    ]),
  };
  const requests: FakeAutotask["requests"] = [];
  let failure: number | undefined;
  const server: Server = createServer((request, response) => {
    requests.push({ path: request.url ?? "", headers: request.headers });
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (failure) return answer(failure, { errors: ["simulated failure"] });
    const h = request.headers;
    if (
      h.apiintegrationcode !== AUTOTASK_CREDENTIALS.apiIntegrationCode ||
      h.username !== AUTOTASK_CREDENTIALS.apiUsername ||
      h.secret !== AUTOTASK_CREDENTIALS.apiSecret
    ) {
      return answer(401, { errors: ["bad credentials"] });
    }
    const match = /^\/ATServicesRest\/V1\.0\/(Contacts|Companies|Resources|Tickets)\/(\d+)$/.exec(
      request.url ?? "",
    );
    if (!match) return answer(404, { errors: ["no such endpoint"] });
    answer(200, { item: records[match[1] as Entity].get(match[2]!) ?? null });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/ATServicesRest`,
    records,
    requests,
    failWith: (status) => {
      failure = status;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The `X-Hook-Signature` Autotask sends for a body. */
export function autotaskSignature(secretKey: string, body: string): string {
  return `sha1=${createHmac("sha1", secretKey).update(body).digest("base64")}`;
}
