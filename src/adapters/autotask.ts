import type { IntegrationConfig } from "../integrations/integrations.ts";
import type { AutotaskDirectory } from "./autotask-api.ts";
import {
  boardTeam,
  contactEmail,
  distinctTouches,
  type EventType,
  emailOrNull,
  instant,
  isClosing,
  isRecord,
  MappingError,
  mappedStatus,
  memberTeam,
  requireInstant,
  requireText,
  type Touch,
  type Translation,
  text,
} from "./translation.ts";

/**
 * Autotask ticket webhooks: `{Action, EntityType, Id, Fields, EventTime, PersonID}` with only
 * the subscribed fields, as strings. A status in the integration's `completeStatuses`
 * (default "5") is `ticket.closed`, statusMap entries win, any other status is
 * `ticket.updated`. The contact, company and resources are read from the Autotask REST API.
 * The queue (`QueueID`) picks the team through boardTeams.
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

  const status = requireText(fields.Status, "Fields.Status");
  const mapped = mappedStatus(integration, [status]);
  if (mapped === "ignore")
    return { kind: "ignored", reason: `status ${status} is mapped to ignore` };
  const complete = integration.settings.completeStatuses ?? ["5"];
  const type: EventType =
    mapped ?? (complete.includes(status) ? "ticket.closed" : "ticket.updated");
  if (type.startsWith("project.")) {
    throw new MappingError("Fields.Status", `Autotask tickets cannot map to ${type}.`);
  }
  const queue = text(fields.QueueID);
  const team = boardTeam(integration, [queue], "Fields.QueueID");
  const closedAt = isClosing(type)
    ? requireInstant(fields.CompletedDate ?? payload.EventTime, "Fields.CompletedDate")
    : undefined;
  const occurredAt = closedAt ?? requireInstant(payload.EventTime, "EventTime");

  const companyId = autotaskId(
    requireText(fields.CompanyID, "Fields.CompanyID"),
    "Fields.CompanyID",
  );
  const contactId = autotaskId(text(fields.ContactID), "Fields.ContactID");
  const ownerId = autotaskId(text(fields.AssignedResourceID), "Fields.AssignedResourceID");
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
    throw new MappingError("Fields.CompanyID", `Autotask has no company ${companyId}.`);
  }
  if (contactId && !contact) {
    throw new MappingError("Fields.ContactID", `Autotask has no contact ${contactId}.`);
  }

  const touches: Touch[] = [];
  const touch = (resource: Record<string, unknown>, resourceId: string, role: Touch["role"]) => {
    touches.push({
      member: {
        externalId: resourceId,
        name: fullName(resource) ?? text(resource.userName) ?? null,
        email: emailOrNull(resource.email),
      },
      team: memberTeam(integration, resourceId, team),
      at: occurredAt,
      role,
    });
  };
  if (owner && ownerId) touch(owner, ownerId, "owner");
  // Whoever made the change, when it is a resource (a contact on the portal is not).
  if (person && personId) touch(person, personId, "resource");

  return {
    kind: "event",
    event: {
      // Autotask's Guid names the webhook, not the delivery: the ticket and its dates do.
      id: `autotask:ticket:${id}:${type}:${closedAt ? closedAt : `${status}:${occurredAt}`}`,
      type,
      occurredAt,
      workItem: {
        externalId: id,
        kind: "ticket",
        summary: (text(fields.Title) ?? text(fields.TicketNumber) ?? "").slice(0, 1000),
        board: queue ?? null,
        openedAt: instant(fields.CreateDate, "Fields.CreateDate") ?? null,
        closedAt: closedAt ?? null,
        firstResponseAt:
          instant(fields.FirstResponseDateTime, "Fields.FirstResponseDateTime") ?? null,
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
