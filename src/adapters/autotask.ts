import type { IntegrationConfig } from "../integrations/integrations.ts";
import type { AutotaskDirectory } from "./autotask-api.ts";
import {
  boardTeam,
  contactEmail,
  distinctTouches,
  type EventType,
  emailOrNull,
  eventId,
  instant,
  isClosing,
  isRecord,
  MappingError,
  mappedStatus,
  ownTeam,
  requireInstant,
  requireText,
  type Touch,
  type Translation,
  text,
  truncate,
} from "./translation.ts";

/**
 * Autotask ticket webhooks: `{Action, EntityType, Id, Fields, EventTime, PersonID}` with only
 * the subscribed fields, as strings. A status in the integration's `completeStatuses`
 * (default "5") is `ticket.closed`, statusMap entries win, any other status is
 * `ticket.updated`. The contact, company and resources are read from the Autotask REST API,
 * and so is the ticket when `Fields` lacks one of the fields the event needs (queue, company,
 * contact, assigned resource, status). The queue (`QueueID`) picks the team through boardTeams;
 * `TicketNumber` is the reference survey emails name.
 */
export async function translateAutotask(
  integration: IntegrationConfig,
  payload: unknown,
  directory: AutotaskDirectory,
): Promise<Translation> {
  if (!isRecord(payload)) throw new MappingError("(body)", "The body is not a JSON object.");
  const entityType = text(payload.EntityType)?.toLowerCase();
  if (entityType !== undefined && entityType !== "ticket") {
    return { kind: "ignored", reason: `${payload.EntityType} webhooks are not surveyed` };
  }
  if (text(payload.Action)?.toLowerCase() === "delete") {
    return { kind: "ignored", reason: "a deleted ticket is not surveyed" };
  }
  const id = requireText(payload.Id, "Id");
  if (!isRecord(payload.Fields)) throw new MappingError("Fields", "`Fields` is missing.");
  const fields = payload.Fields;

  // The status decides first whether the delivery matters, before any other call to Autotask.
  let ticket = Object.hasOwn(fields, "Status") ? undefined : await readTicket(directory, id);
  const statusField = ticketField(fields, ticket, "Status");
  const status = requireText(statusField.value, statusField.path);
  const mapped = mappedStatus(integration, [status]);
  if (mapped === "ignore")
    return { kind: "ignored", reason: `status ${status} is mapped to ignore` };
  if (!ticket && NEEDED_FIELDS.some((key) => !Object.hasOwn(fields, key))) {
    ticket = await readTicket(directory, id);
  }
  const field = (key: TicketField) => ticketField(fields, ticket, key);
  const complete = integration.settings.completeStatuses ?? ["5"];
  const type: EventType =
    mapped ?? (complete.includes(status) ? "ticket.closed" : "ticket.updated");
  if (type.startsWith("project.")) {
    throw new MappingError(statusField.path, `Autotask tickets cannot map to ${type}.`);
  }
  const queueField = field("QueueID");
  const queue = text(queueField.value);
  // Queues are optional in Autotask (a ticket assigned straight to a resource has none): its
  // touches then take their resources' own teams (`settings.memberTeams`).
  const team = queue === undefined ? undefined : boardTeam(integration, [queue], queueField.path);
  const teamOf = (resourceId: string) => {
    const chosen = ownTeam(integration, resourceId) ?? team;
    if (chosen !== undefined) return chosen;
    throw new MappingError(
      queueField.path,
      `\`${queueField.path}\` is empty and resource ${resourceId} has no team in settings.memberTeams: the team cannot be chosen.`,
    );
  };
  const completed = field("CompletedDate");
  const closedAt = isClosing(type)
    ? requireInstant(completed.value ?? payload.EventTime, completed.path)
    : undefined;
  const occurredAt = closedAt ?? requireInstant(payload.EventTime, "EventTime");

  const companyField = field("CompanyID");
  const companyId = autotaskId(
    requireText(companyField.value, companyField.path),
    companyField.path,
  );
  const contactField = field("ContactID");
  const contactId = autotaskId(text(contactField.value), contactField.path);
  const ownerField = field("AssignedResourceID");
  const ownerId = autotaskId(text(ownerField.value), ownerField.path);
  // Autotask's documentation spells the key both ways.
  const personKey = payload.PersonId === undefined ? "PersonID" : "PersonId";
  const personId = autotaskId(text(payload[personKey]), personKey);
  const [company, contact, owner, person] = await Promise.all([
    directory.get("Companies", companyId),
    contactId ? directory.get("Contacts", contactId) : undefined,
    ownerId ? directory.get("Resources", ownerId) : undefined,
    personId && personId !== ownerId ? directory.get("Resources", personId) : undefined,
  ]);
  if (!company) {
    throw new MappingError(companyField.path, `Autotask has no company ${companyId}.`);
  }
  if (contactId && !contact) {
    throw new MappingError(contactField.path, `Autotask has no contact ${contactId}.`);
  }

  const touches: Touch[] = [];
  const touch = (resource: Record<string, unknown>, resourceId: string, role: Touch["role"]) => {
    touches.push({
      member: {
        externalId: resourceId,
        name: fullName(resource) ?? text(resource.userName) ?? null,
        email: emailOrNull(resource.email),
      },
      team: teamOf(resourceId),
      at: occurredAt,
      role,
    });
  };
  // The assigned resource worked on it even when Autotask no longer returns them (a resource
  // since deactivated or hidden from the API user): known by id, without name.
  if (ownerId) touch(owner ?? {}, ownerId, "owner");
  // Whoever made the change, when it is a resource (a contact on the portal is not).
  if (person && personId) touch(person, personId, "resource");
  const ticketNumber = text(field("TicketNumber").value);
  const summary = text(field("Title").value) ?? ticketNumber ?? "";
  const created = field("CreateDate");
  const firstResponse = field("FirstResponseDateTime");

  return {
    kind: "event",
    event: {
      // Autotask's Guid names the webhook, not the delivery: the ticket, its status and dates do.
      id: eventId(
        `autotask:ticket:${id}`,
        type,
        closedAt ?? `${status}:${occurredAt}`,
        instant(payload.EventTime, "EventTime"),
      ),
      type,
      occurredAt,
      workItem: {
        externalId: id,
        // Clients know an Autotask ticket by its number (T20261118.0042), not its id.
        reference: ticketNumber === undefined ? null : truncate(ticketNumber, 200),
        kind: "ticket",
        summary: truncate(summary, 1000),
        board: queue ?? null,
        openedAt: instant(created.value, created.path) ?? null,
        closedAt: closedAt ?? null,
        firstResponseAt: instant(firstResponse.value, firstResponse.path) ?? null,
      },
      client: {
        externalId: companyId,
        name: requireText(company.companyName, "Companies.companyName"),
      },
      contact:
        contact && contactId
          ? {
              externalId: contactId,
              name: fullName(contact) ?? null,
              email: contactEmail(contact.emailAddress, "Contacts.emailAddress"),
            }
          : null,
      touches: distinctTouches(touches),
    },
  };
}

/** Webhook field names and the ticket entity's names for them in the REST API. */
const TICKET_FIELDS = {
  Status: "status",
  QueueID: "queueID",
  CompanyID: "companyID",
  ContactID: "contactID",
  AssignedResourceID: "assignedResourceID",
  CompletedDate: "completedDate",
  CreateDate: "createDate",
  Title: "title",
  TicketNumber: "ticketNumber",
  FirstResponseDateTime: "firstResponseDateTime",
} as const;
type TicketField = keyof typeof TICKET_FIELDS;

/**
 * The fields without which the event would be wrong rather than less detailed. Autotask sends
 * only the changed fields and those marked "always display"; a field it leaves out is unknown,
 * one it sends empty is cleared.
 */
const NEEDED_FIELDS: TicketField[] = [
  "Status",
  "QueueID",
  "CompanyID",
  "ContactID",
  "AssignedResourceID",
];

/**
 * A ticket field from the delivery when it carries it, else from the ticket as Autotask has it
 * (when it was read), with the path a mapping error names.
 */
function ticketField(
  fields: Record<string, unknown>,
  ticket: Record<string, unknown> | undefined,
  key: TicketField,
): { value: unknown; path: string } {
  if (!ticket || Object.hasOwn(fields, key)) return { value: fields[key], path: `Fields.${key}` };
  const name = TICKET_FIELDS[key];
  return { value: ticket[name], path: `Tickets.${name}` };
}

async function readTicket(
  directory: AutotaskDirectory,
  id: string,
): Promise<Record<string, unknown>> {
  const ticket = await directory.get("Tickets", autotaskId(id, "Id"));
  if (!ticket) throw new MappingError("Id", `Autotask has no ticket ${id}.`);
  return ticket;
}

function fullName(record: Record<string, unknown>): string | undefined {
  const name = [text(record.firstName), text(record.lastName)].filter(Boolean).join(" ");
  return name === "" ? undefined : name;
}

/** Autotask ids are integers: anything else is refused before it reaches Autotask's API. */
function autotaskId<T extends string | undefined>(value: T, field: string): T {
  if (value !== undefined && !/^\d{1,18}$/.test(value)) {
    throw new MappingError(field, `${JSON.stringify(value.slice(0, 40))} is not an Autotask id.`);
  }
  return value;
}
