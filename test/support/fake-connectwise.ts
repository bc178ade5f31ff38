import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export const CONNECTWISE_CREDENTIALS = {
  apiCompanyId: "northwindmsp",
  apiPublicKey: "fakePublicKey",
  apiPrivateKey: "fake-private-key",
  apiClientId: "00000000-fake-4000-8000-client000001",
};

const BASIC = `Basic ${Buffer.from(
  `${CONNECTWISE_CREDENTIALS.apiCompanyId}+${CONNECTWISE_CREDENTIALS.apiPublicKey}:${CONNECTWISE_CREDENTIALS.apiPrivateKey}`,
).toString("base64")}`;

/**
 * A loopback ConnectWise REST API: `GET /v4_6_release/apis/3.0/time/entries` with
 * `conditions=chargeToType="…" AND chargeToId=…`, `page` and `pageSize` answers that page of
 * the entries charged there, when the API member's Basic credential and `clientId` match
 * (401 otherwise).
 */
export interface FakeConnectwise {
  /** The API site to configure as the integration's baseUrl. */
  baseUrl: string;
  /** Time entries by `"{chargeToType}:{chargeToId}"`. */
  timeEntries: Map<string, Array<Record<string, unknown>>>;
  requests: Array<{ url: URL; headers: Record<string, string | string[] | undefined> }>;
  /** Makes every request answer this status until reset with undefined. */
  failWith(status: number | undefined): void;
  close(): Promise<void>;
}

export async function startFakeConnectwise(): Promise<FakeConnectwise> {
  const timeEntries: FakeConnectwise["timeEntries"] = new Map();
  const requests: FakeConnectwise["requests"] = [];
  let failure: number | undefined;
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://fake.connectwise");
    requests.push({ url, headers: request.headers });
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (failure) return answer(failure, { code: "Failure", message: "simulated failure" });
    if (
      request.headers.authorization !== BASIC ||
      request.headers.clientid !== CONNECTWISE_CREDENTIALS.apiClientId
    ) {
      return answer(401, { code: "Unauthorized", message: "bad credentials" });
    }
    if (url.pathname !== "/v4_6_release/apis/3.0/time/entries") {
      return answer(404, { code: "NotFound", message: "no such endpoint" });
    }
    const condition = /^chargeToType="(\w+)" AND chargeToId=(\d+)$/.exec(
      url.searchParams.get("conditions") ?? "",
    );
    if (!condition) return answer(400, { code: "InvalidObject", message: "bad conditions" });
    const page = Number(url.searchParams.get("page") ?? "1");
    const pageSize = Math.min(Number(url.searchParams.get("pageSize") ?? "25"), 1000);
    const all = timeEntries.get(`${condition[1]}:${condition[2]}`) ?? [];
    answer(200, all.slice((page - 1) * pageSize, page * pageSize));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    timeEntries,
    requests,
    failWith: (status) => {
      failure = status;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A ConnectWise time entry of `hours` by `member`, charged to a service ticket. */
export function timeEntry(
  ticketId: number,
  member: string,
  hours: number,
  timeStart: string,
): Record<string, unknown> {
  return {
    id: Math.floor(Math.random() * 1e9),
    chargeToId: ticketId,
    chargeToType: "ServiceTicket",
    member: { id: 100, identifier: member, name: member },
    timeStart,
    actualHours: hours,
  };
}
