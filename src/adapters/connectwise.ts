import type { IntegrationConfig } from "../integrations/integrations.ts";
import type { ConnectwiseTimeEntries } from "./connectwise-api.ts";
import {
  boardTeam,
  contactEmail,
  distinctTouches,
  type EventType,
  eventId,
  forKind,
  hoursToMinutes,
  instant,
  isClosing,
  isRecord,
  MappingError,
  mappedStatus,
  memberTeam,
  parseVendorJson,
  requireInstant,
  requireText,
  type Touch,
  type Translation,
  text,
  truncate,
} from "./translation.ts";

/**
 * ConnectWise PSA callbacks: `{Action, Type, ID, Entity, Metadata}` where `Entity` is the
 * ticket or project as a JSON string. A ticket or project whose `closedFlag` is true is a
 * close (`ticket.closed` / `project.completed`); the integration's statusMap can say
 * otherwise by status name or id. Owner (project: manager), `resources` and any
 * `timeEntries` carried in the entity become touches. When the integration has ConnectWise
 * API credentials, a closed ticket's time entries are read from the REST API as well (a
 * project callback names no ticket to read them from).
 */
export async function translateConnectwise(
  integration: IntegrationConfig,
  payload: unknown,
  timeEntries: ConnectwiseTimeEntries | undefined,
): Promise<Translation> {
  if (!isRecord(payload)) throw new MappingError("(body)", "The body is not a JSON object.");
  const action = text(payload.Action)?.toLowerCase();
  if (action === "deleted") return { kind: "ignored", reason: "a deleted record is not surveyed" };
  const type = text(payload.Type)?.toLowerCase();
  const entity = parseEntity(payload.Entity);
  const kind =
    type === "project" || (type === undefined && text(entity.recordType) === "Project")
      ? "project"
      : type === "ticket" || type === undefined
        ? "ticket"
        : undefined;
  if (!kind) return { kind: "ignored", reason: `callbacks of type "${type}" are not surveyed` };
  return translateWorkItem(integration, kind, entity, payload.ID, timeEntries);
}

function parseEntity(value: unknown): Record<string, unknown> {
  if (isRecord(value)) return value;
  if (typeof value !== "string" || value.trim() === "") {
    throw new MappingError("Entity", "`Entity` is missing: it should hold the record as JSON.");
  }
  let parsed: unknown;
  try {
    parsed = parseVendorJson(value);
  } catch {
    throw new MappingError("Entity", "`Entity` is not valid JSON.");
  }
  if (!isRecord(parsed)) throw new MappingError("Entity", "`Entity` is not a JSON object.");
  return parsed;
}

async function translateWorkItem(
  integration: IntegrationConfig,
  kind: "ticket" | "project",
  entity: Record<string, unknown>,
  callbackId: unknown,
  timeEntries: ConnectwiseTimeEntries | undefined,
): Promise<Translation> {
  const id = requireText(entity.id ?? callbackId, "Entity.id");
  const board = isRecord(entity.board) ? entity.board : {};
  const status = isRecord(entity.status) ? entity.status : {};
  const info = isRecord(entity._info) ? entity._info : {};
  // An ignored status needs no board mapping: it is checked first, as the other adapters do.
  const mapped = mappedStatus(integration, [text(status.name), text(status.id)]);
  if (mapped === "ignore") {
    return { kind: "ignored", reason: `status "${text(status.name)}" is mapped to ignore` };
  }
  const team = boardTeam(integration, [text(board.name), text(board.id)], "Entity.board.name");
  const eventType: EventType = forKind(
    kind,
    mapped ?? (entity.closedFlag === true ? "ticket.closed" : "ticket.updated"),
  );
  const closing = isClosing(eventType);
  const closedField = kind === "project" ? "Entity.actualEnd" : "Entity.closedDate";
  // A status the statusMap makes closing has no closedDate yet (ConnectWise sets it with
  // closedFlag), and a project closed without an actual end date has none either: the record's
  // last update, when the status changed, is when it closed.
  const closedAt = closing
    ? requireInstant(
        (kind === "project" ? (entity.actualEnd ?? entity.closedDate) : entity.closedDate) ??
          info.lastUpdated,
        closedField,
      )
    : undefined;
  const occurredAt = closedAt ?? requireInstant(info.lastUpdated, "Entity._info.lastUpdated");

  const company = isRecord(entity.company) ? entity.company : {};
  const contact = isRecord(entity.contact) ? entity.contact : {};
  const contactId = text(contact.id);
  const client = {
    externalId: requireText(company.id, "Entity.company.id"),
    name: requireText(company.name ?? company.identifier, "Entity.company.name"),
  };
  // Only a close reads the API: who worked on the ticket matters once it is surveyed.
  const fetched =
    timeEntries && closing && kind === "ticket"
      ? await timeEntries.list(
          text(entity.recordType) === "ProjectTicket" ? "ProjectTicket" : "ServiceTicket",
          id,
        )
      : [];
  const touches = touchesOf(integration, entity, kind, team, occurredAt, fetched);

  return {
    kind: "event",
    event: {
      // A redelivery carries the same record and dates, hence the same id.
      id: eventId(
        `connectwise:${kind}:${id}`,
        eventType,
        occurredAt,
        instant(info.lastUpdated, "Entity._info.lastUpdated"),
      ),
      type: eventType,
      occurredAt,
      workItem: {
        externalId: id,
        // ConnectWise shows a ticket's or project's id as its number: `#48213` is what clients see.
        reference: id,
        kind,
        summary: truncate(text(kind === "project" ? entity.name : entity.summary) ?? "", 1000),
        board: text(board.name) ?? text(board.id) ?? null,
        openedAt:
          instant(info.dateEntered ?? entity.dateEntered, "Entity._info.dateEntered") ?? null,
        closedAt: closedAt ?? null,
        firstResponseAt: instant(entity.dateResponded, "Entity.dateResponded") ?? null,
      },
      client,
      contact: contactId
        ? {
            externalId: contactId,
            name: text(contact.name) ?? text(entity.contactName) ?? null,
            email: contactEmail(
              entity.contactEmailAddress ?? contact.email,
              "Entity.contactEmailAddress",
            ),
          }
        : null,
      touches,
    },
  };
}

function touchesOf(
  integration: IntegrationConfig,
  entity: Record<string, unknown>,
  kind: "ticket" | "project",
  team: string,
  at: string,
  fetched: Record<string, unknown>[],
): Touch[] {
  const touches: Touch[] = [];
  // `resources` lists logins only: a member without a name keeps the one rapport knows.
  const member = (identifier: string, name: string | undefined, role: Touch["role"]) => ({
    member: { externalId: identifier, name: name ?? null },
    team: memberTeam(integration, identifier, team),
    at,
    role,
  });
  const owner = isRecord(kind === "project" ? entity.manager : entity.owner)
    ? ((kind === "project" ? entity.manager : entity.owner) as Record<string, unknown>)
    : undefined;
  const ownerId = owner ? text(owner.identifier) : undefined;
  if (ownerId) touches.push(member(ownerId, text(owner?.name), "owner"));

  const resources = (text(entity.resources) ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item && item !== ownerId);
  for (const identifier of resources) touches.push(member(identifier, undefined, "resource"));

  const timeEntry = (entry: unknown, field: string) => {
    if (!isRecord(entry) || !isRecord(entry.member)) return;
    const identifier = requireText(entry.member.identifier, `${field}.member.identifier`);
    touches.push({
      ...member(identifier, text(entry.member.name), "time-entry"),
      at: instant(entry.timeStart, `${field}.timeStart`) ?? at,
      minutes: hoursToMinutes(entry.actualHours),
    });
  };
  const carried = Array.isArray(entity.timeEntries) ? entity.timeEntries : [];
  carried.forEach((entry, index) => {
    timeEntry(entry, `Entity.timeEntries.${index}`);
  });
  fetched.forEach((entry, index) => {
    timeEntry(entry, `time/entries.${index}`);
  });
  return distinctTouches(touches);
}
