import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { translateAutotask } from "../src/adapters/autotask.ts";
import { translateConnectwise } from "../src/adapters/connectwise.ts";
import { allowedKeyUrl } from "../src/adapters/connectwise-signature.ts";
import { translateHalopsa } from "../src/adapters/halopsa.ts";
import { instant, MappingError, truncate } from "../src/adapters/translation.ts";
import { unstorablePath } from "../src/http/validation.ts";
import { CanonicalEvent } from "../src/intake/event.ts";
import type { IntegrationConfig } from "../src/integrations/integrations.ts";
import { haloTicketClosed } from "./support/halopsa-sample.ts";

const read = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../shared/fixtures/psa/${name}`, import.meta.url), "utf8"));

function integration(overrides: Partial<IntegrationConfig> = {}): IntegrationConfig {
  return {
    id: "00000000-0000-4000-8000-000000000001",
    vendor: "connectwise",
    name: "test",
    active: true,
    baseUrl: null,
    settings: {},
    boardTeams: { "Help Desk": "help-desk", "8": "help-desk" },
    statusMap: {},
    secrets: {},
    createdAt: new Date(),
    updatedAt: new Date(),
    ...overrides,
  };
}

/** The Autotask REST API as the translator reads it: a company and a contact. */
const autotaskDirectory = {
  get: async (entity: string, id: string) =>
    entity === "Companies"
      ? { id, companyName: "Harbour Law LLP" }
      : entity === "Contacts"
        ? { id, emailAddress: "a@b.example" }
        : undefined,
};

async function mappingError(run: () => unknown): Promise<MappingError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof MappingError) return error;
    throw error;
  }
  throw new Error("expected a MappingError");
}

describe("the ConnectWise translator", () => {
  it("turns the fixture into a valid canonical ticket.closed", async () => {
    const result = await translateConnectwise(
      integration(),
      read("connectwise-ticket-closed.json"),
      undefined,
    );
    if (result.kind !== "event") throw new Error("expected an event");
    const event = CanonicalEvent.parse(result.event);
    expect(event).toMatchObject({
      type: "ticket.closed",
      occurredAt: "2026-11-18T16:42:10.000Z",
      workItem: {
        externalId: "48213",
        kind: "ticket",
        board: "Help Desk",
        openedAt: "2026-11-17T09:03:00.000Z",
      },
      client: { externalId: "250", name: "Acme Dental Group" },
      contact: { externalId: "1733", email: "priya.raman@acmedental.example", name: "Priya Raman" },
    });
    expect(event.touches.map((touch) => [touch.member.externalId, touch.role])).toEqual([
      ["jlopez", "owner"],
      ["mchen", "resource"],
    ]);
  });

  it("adds up time entries carried in the entity, per member", async () => {
    const payload = read("connectwise-ticket-closed.json");
    const entity = JSON.parse(payload.Entity);
    entity.timeEntries = [
      {
        member: { identifier: "rpatel", name: "Ravi Patel" },
        actualHours: 0.5,
        timeStart: "2026-11-18T10:00:00Z",
      },
      {
        member: { identifier: "rpatel", name: "Ravi Patel" },
        actualHours: 0.25,
        timeStart: "2026-11-18T09:00:00Z",
      },
    ];
    payload.Entity = JSON.stringify(entity);
    const result = await translateConnectwise(integration(), payload, undefined);
    if (result.kind !== "event") throw new Error("expected an event");
    const entry = result.event.touches?.find((touch) => touch.role === "time-entry");
    expect(entry).toMatchObject({ minutes: 45, at: "2026-11-18T09:00:00.000Z" });
  });

  it("names the field it cannot map", async () => {
    const payload = read("connectwise-ticket-closed.json");
    expect(
      (
        await mappingError(() =>
          translateConnectwise(integration(), { ...payload, Entity: "{oops" }, undefined),
        )
      ).field,
    ).toBe("Entity");
    const entity = JSON.parse(payload.Entity);
    delete entity.company;
    expect(
      (
        await mappingError(() =>
          translateConnectwise(
            integration(),
            { ...payload, Entity: JSON.stringify(entity) },
            undefined,
          ),
        )
      ).field,
    ).toBe("Entity.company.id");
    entity.company = { id: 1, name: "x" };
    entity.closedDate = "yesterday";
    expect(
      (
        await mappingError(() =>
          translateConnectwise(
            integration(),
            { ...payload, Entity: JSON.stringify(entity) },
            undefined,
          ),
        )
      ).field,
    ).toBe("Entity.closedDate");
  });

  it("statusMap wins over closedFlag", async () => {
    const result = await translateConnectwise(
      integration({ statusMap: { "Closed (resolved)": "ticket.updated" } }),
      read("connectwise-ticket-closed.json"),
      undefined,
    );
    expect(result.kind === "event" && result.event.type).toBe("ticket.updated");
  });
});

describe("the Autotask translator", () => {
  it("honours the integration's complete statuses", async () => {
    const payload = read("autotask-ticket-completed.json");
    const closed = await translateAutotask(
      integration({ vendor: "autotask" }),
      payload,
      autotaskDirectory,
    );
    expect(closed.kind === "event" && closed.event.type).toBe("ticket.closed");
    const custom = await translateAutotask(
      integration({ vendor: "autotask", settings: { completeStatuses: ["17"] } }),
      payload,
      autotaskDirectory,
    );
    expect(custom.kind === "event" && custom.event.type).toBe("ticket.updated");
  });

  it("the event id is the ticket, its completion and the change, not the webhook's Guid", async () => {
    const payload = read("autotask-ticket-completed.json");
    const idOf = async (edit: Record<string, unknown>) => {
      const result = await translateAutotask(
        integration({ vendor: "autotask" }),
        { ...payload, ...edit },
        autotaskDirectory,
      );
      return result.kind === "event" ? result.event.id : undefined;
    };
    expect(await idOf({})).toBe(
      "autotask:ticket:351182:ticket.closed:2026-11-18T16:40:00.000Z:2026-11-18T16:40:02.117Z",
    );
    expect(await idOf({ Guid: "another-webhook" })).toBe(await idOf({}));
    // A later change to the completed ticket (time logged after it) is another event.
    expect(await idOf({ EventTime: "2026-11-18T17:30:00Z" })).not.toBe(await idOf({}));
  });
});

describe("the HaloPSA translator", () => {
  const halo = (settings: IntegrationConfig["settings"] = {}) =>
    integration({ vendor: "halopsa", settings, boardTeams: { "1st Line Support": "help-desk" } });
  /** The event type of an action with this outcome on a ticket still open (status In Progress). */
  const typeFor = (outcome: string, settings: IntegrationConfig["settings"] = {}) => {
    const body = haloTicketClosed(77, {
      edit: (b) => {
        b.action.outcome = outcome;
        b.ticket.status_id = 2;
        delete b.ticket.datecleared;
      },
    });
    const result = translateHalopsa(halo(settings), JSON.parse(body));
    return result.kind === "event" ? result.event.type : result.kind;
  };

  it("closes on a Closed or Resolved outcome, in any case, and on nothing that merely mentions one", () => {
    expect(typeFor("Closed")).toBe("ticket.closed");
    expect(typeFor(" resolved ")).toBe("ticket.closed");
    expect(typeFor("Not Resolved")).toBe("ticket.updated");
    expect(typeFor("Re-open Closed Ticket")).toBe("ticket.updated");
    expect(typeFor("Closure requested")).toBe("ticket.updated");
  });

  it("closes on the outcomes the integration names instead, when it names them", () => {
    const settings = { closingOutcomes: ["Close Ticket"] };
    expect(typeFor("close ticket", settings)).toBe("ticket.closed");
    expect(typeFor("Resolved", settings)).toBe("ticket.updated");
  });
});

describe("vendor date-times", () => {
  const zone = process.env.TZ;
  // Read in the server's zone, an offset-less date-time would move with it: 5 hours here.
  beforeEach(() => {
    process.env.TZ = "America/New_York";
  });
  afterEach(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it.each([
    ["2026-11-18T16:00:00", "2026-11-18T16:00:00.000Z"],
    ["2026-11-18 16:00:00", "2026-11-18T16:00:00.000Z"],
    ["2026-11-18t16:00", "2026-11-18T16:00:00.000Z"],
    ["2026-11-18T16:00:00.1234567", "2026-11-18T16:00:00.123Z"],
    ["2026-11-18T16:00:00,5+0100", "2026-11-18T15:00:00.500Z"],
    ["2026-11-18 16:00:00 -05", "2026-11-18T21:00:00.000Z"],
    ["2026-11-18T16:00:00.000z", "2026-11-18T16:00:00.000Z"],
    ["2026-11-18", "2026-11-18T00:00:00.000Z"],
  ])("%s without or with an offset is %s wherever rapport runs", (value, expected) => {
    expect(instant(value, "at")).toBe(expected);
  });

  it.each(["Nov 18 2026 4:00 PM", "18/11/2026 16:00", "2026-02-30T10:00:00", "2026-11-18T16"])(
    "%s is refused naming the field, not guessed at",
    (value) => {
      expect(() => instant(value, "ticket.datecleared")).toThrow(MappingError);
      expect(() => instant(value, "ticket.datecleared")).toThrow("`ticket.datecleared`");
    },
  );

  it("a HaloPSA close dated without an offset keeps its instant", () => {
    const body = haloTicketClosed(88, {
      edit: (b) => {
        b.ticket.datecleared = "2026-11-18 16:00:00";
      },
    });
    const result = translateHalopsa(
      integration({ vendor: "halopsa", boardTeams: { "1st Line Support": "help-desk" } }),
      JSON.parse(body),
    );
    if (result.kind !== "event") throw new Error(`expected an event, got ${result.kind}`);
    expect(result.event.workItem.closedAt).toBe("2026-11-18T16:00:00.000Z");
    expect(result.event.occurredAt).toBe("2026-11-18T16:00:00.000Z");
  });
});

describe("the ConnectWise key URL allow-list", () => {
  it.each([
    ["https://api-na.myconnectwise.net/v4_6_release/system/callbackkey/index.rails?id=1", true],
    ["https://eu.myconnectwise.net/key", true],
    ["https://myconnectwise.net/key", false],
    ["http://api-na.myconnectwise.net/key", false],
    ["https://api-na.myconnectwise.net:444/key", false],
    ["https://user:pw@api-na.myconnectwise.net/key", false],
    ["https://169.254.169.254/latest/meta-data/", false],
    ["https://evilmyconnectwise.net/key", false],
    ["file:///etc/passwd", false],
    ["http://cw.internal.example:8080/key", true],
    ["http://cw.internal.example/key", false],
  ])("%s -> %s", (url, allowed) => {
    expect(allowedKeyUrl(url, ["http://cw.internal.example:8080"]) !== undefined).toBe(allowed);
  });
});

describe("a summary cut to its limit", () => {
  // 999 letters then an emoji: a cut at 1,000 UTF-16 units falls between the emoji's halves.
  const long = `${"a".repeat(999)}\u{1F642} printer`;

  it("never ends in half of a character", () => {
    expect(truncate(long, 1000)).toBe("a".repeat(999));
    expect(truncate(`${"a".repeat(998)}\u{1F642}`, 1000)).toBe(`${"a".repeat(998)}\u{1F642}`);
    expect(truncate("short", 1000)).toBe("short");
  });

  it.each([
    [
      "ConnectWise",
      async () => {
        const payload = read("connectwise-ticket-closed.json");
        const entity = JSON.parse(payload.Entity);
        payload.Entity = JSON.stringify({ ...entity, summary: long });
        return translateConnectwise(integration(), payload, undefined);
      },
    ],
    [
      "Autotask",
      async () => {
        const payload = read("autotask-ticket-completed.json");
        payload.Fields.Title = long;
        return translateAutotask(integration({ vendor: "autotask" }), payload, autotaskDirectory);
      },
    ],
    [
      "HaloPSA",
      async () =>
        translateHalopsa(
          integration({ vendor: "halopsa", boardTeams: { "1st Line Support": "help-desk" } }),
          JSON.parse(
            haloTicketClosed(4343, {
              edit: (body) => {
                body.ticket.summary = long;
              },
            }),
          ),
        ),
    ],
  ])("from %s is storable text", async (_, translate) => {
    const result = await translate();
    if (result.kind !== "event") throw new Error("expected an event");
    expect(result.event.workItem?.summary).toBe("a".repeat(999));
    expect(unstorablePath(result.event)).toBeUndefined();
  });
});
