// Client-side traffic for the scenarios: events for `POST /v1/events`, clicks as a person makes
// them, and a record of every answer so the verdict can check what a 2xx promised.

const PERSON = {
  "user-agent":
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36",
  "accept-language": "en-GB,en;q=0.9",
  accept: "text/html",
};

/** A `ticket.closed` event with two touches, unique per `n` within a run. */
export function closedTicketEvent(runId: string, n: number) {
  const at = new Date(Date.UTC(2026, 10, 2) + n * 60_000).toISOString();
  return {
    id: `fault-${runId}-${n}`,
    type: "ticket.closed",
    occurredAt: at,
    workItem: {
      externalId: `fault-${runId}-${n}`,
      kind: "ticket",
      summary: `VPN drops every hour (${n})`,
      board: "Help Desk",
      openedAt: at,
      closedAt: at,
    },
    client: { externalId: `fault-client-${n % 20}`, name: `Client ${n % 20}` },
    contact: {
      externalId: `fault-contact-${runId}-${n}`,
      email: `contact-${n}@fault-${runId}.example`,
      name: `Contact ${n}`,
    },
    touches: [0, 1].map((i) => ({
      member: { externalId: `fault-member-${(n + i) % 12}`, name: `Member ${(n + i) % 12}` },
      team: i === 0 ? "help-desk" : "projects",
      at,
      minutes: 15,
      role: i === 0 ? "owner" : "resource",
    })),
  };
}

/** What one request got: the status (0 for a network error, -1 for a time-out) and its type. */
export interface Answer {
  kind: "click" | "event";
  /** The click's token or the event's id. */
  subject: string;
  status: number;
  contentType: string;
  at: number;
  ms: number;
}

export async function sendEvent(
  baseUrl: string,
  key: string,
  event: { id: string },
  timeoutMs: number,
): Promise<Answer> {
  return timed("event", event.id, timeoutMs, (signal) =>
    fetch(`${baseUrl}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify(event),
      signal,
    }),
  );
}

export async function sendClick(
  baseUrl: string,
  token: string,
  score: number,
  timeoutMs: number,
): Promise<Answer> {
  return timed("click", token, timeoutMs, (signal) =>
    fetch(`${baseUrl}/r/${token}/${score}`, { headers: PERSON, signal, redirect: "manual" }),
  );
}

async function timed(
  kind: Answer["kind"],
  subject: string,
  timeoutMs: number,
  request: (signal: AbortSignal) => Promise<Response>,
): Promise<Answer> {
  const started = Date.now();
  try {
    const response = await request(AbortSignal.timeout(timeoutMs));
    await response.arrayBuffer();
    return {
      kind,
      subject,
      status: response.status,
      contentType: response.headers.get("content-type") ?? "",
      at: started,
      ms: Date.now() - started,
    };
  } catch (error) {
    const timedOut = (error as Error).name === "TimeoutError";
    return {
      kind,
      subject,
      status: timedOut ? -1 : 0,
      contentType: "",
      at: started,
      ms: Date.now() - started,
    };
  }
}

/** Runs `worker` on `concurrency` loops until it answers false or `until` passes. */
export async function drive(
  concurrency: number,
  until: number,
  worker: () => Promise<boolean>,
): Promise<void> {
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        if (!(await worker())) return;
      }
    }),
  );
}

/** Links `/r/{token}/{score}` found in an email's text. */
export function scoreLinks(text: string): Array<{ token: string; score: number }> {
  return [...text.matchAll(/\/r\/([A-Za-z0-9_-]{24})\/(\d+)/g)].map((match) => ({
    token: match[1]!,
    score: Number(match[2]),
  }));
}
