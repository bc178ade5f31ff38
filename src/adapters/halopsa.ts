import type { IntegrationConfig } from "../integrations/integrations.ts";
import {
  boardTeam,
  contactEmail,
  distinctTouches,
  type EventType,
  emailOrNull,
  eventId,
  hoursToMinutes,
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
  truncate,
} from "./translation.ts";

/** Action outcomes that close a ticket when the integration names none. */
const CLOSING_OUTCOMES = ["Closed", "Resolved"];

/**
 * HaloPSA outbound webhooks: `{ticket: {...}, action: {...}}` (or the ticket alone). The ticket
 * is closed when the action's outcome is one of the integration's `closingOutcomes` (default
 * Closed and Resolved; the whole outcome, in any case: "Not Resolved" closes nothing), when
 * `status_id` is one of the integration's `closedStatuses` (default 9), or when statusMap says
 * so; otherwise it is an update. The ticket's team (`team`/`team_id`) picks our team through
 * boardTeams; the agent is the owner and the action's agent a time entry with its `timetaken`
 * hours.
 */
export function translateHalopsa(integration: IntegrationConfig, payload: unknown): Translation {
  if (!isRecord(payload)) throw new MappingError("(body)", "The body is not a JSON object.");
  const wrapped = isRecord(payload.ticket);
  const ticket = wrapped ? (payload.ticket as Record<string, unknown>) : payload;
  const at = wrapped ? "ticket." : "";
  const action = isRecord(payload.action) ? payload.action : undefined;

  const id = requireText(ticket.id ?? ticket.ticket_id, `${at}id`);
  const status = text(ticket.status_id);
  const mapped = mappedStatus(integration, [status, text(ticket.status_name)]);
  if (mapped === "ignore")
    return { kind: "ignored", reason: `status ${status} is mapped to ignore` };
  const closedStatuses = integration.settings.closedStatuses ?? ["9"];
  const outcome = text(action?.outcome)?.toLowerCase();
  const closingAction =
    outcome !== undefined &&
    (integration.settings.closingOutcomes ?? CLOSING_OUTCOMES).some(
      (closing) => closing.trim().toLowerCase() === outcome,
    );
  const type: EventType =
    mapped ??
    (closingAction || (status !== undefined && closedStatuses.includes(status))
      ? "ticket.closed"
      : "ticket.updated");
  if (type.startsWith("project.")) {
    throw new MappingError(`${at}status_id`, `HaloPSA tickets cannot map to ${type}.`);
  }
  const team = boardTeam(integration, [text(ticket.team), text(ticket.team_id)], `${at}team`);
  const actionAt = instant(action?.datetime ?? action?.actiondatecreated, "action.datetime");
  const closedAt = isClosing(type)
    ? requireInstant(
        setDate(ticket.datecleared) ?? setDate(ticket.dateclosed) ?? actionAt,
        `${at}datecleared`,
      )
    : undefined;
  const occurredAt =
    closedAt ??
    actionAt ??
    requireInstant(ticket.lastactiondate ?? ticket.last_update, `${at}lastactiondate`);

  const touches: Touch[] = [];
  const agentId = technician(ticket.agent_id);
  if (agentId) {
    touches.push({
      member: {
        externalId: agentId,
        name: text(ticket.agent_name) ?? null,
        email: emailOrNull(ticket.agent_email),
      },
      team: memberTeam(integration, agentId, team),
      at: occurredAt,
      role: "owner",
    });
  }
  const actionAgent = technician(action?.who_agentid ?? action?.agent_id);
  if (action && actionAgent) {
    touches.push({
      member: { externalId: actionAgent, name: text(action.who) ?? null },
      team: memberTeam(integration, actionAgent, team),
      at: actionAt ?? occurredAt,
      role: "time-entry",
      minutes: hoursToMinutes(action.timetaken),
    });
  }

  const userId = text(ticket.user_id);
  return {
    kind: "event",
    event: {
      id: eventId(`halopsa:ticket:${id}`, type, occurredAt, text(action?.id) ?? actionAt),
      type,
      occurredAt,
      workItem: {
        externalId: id,
        // HaloPSA shows the ticket id as its number; the payload carries no other.
        reference: id,
        kind: "ticket",
        summary: truncate(text(ticket.summary) ?? "", 1000),
        board: text(ticket.team) ?? text(ticket.team_id) ?? null,
        openedAt:
          instant(
            setDate(ticket.dateoccurred) ?? setDate(ticket.dateoccured),
            `${at}dateoccurred`,
          ) ?? null,
        closedAt: closedAt ?? null,
        firstResponseAt: instant(setDate(ticket.responsedate), `${at}responsedate`) ?? null,
      },
      client: {
        externalId: requireText(ticket.client_id, `${at}client_id`),
        name: requireText(ticket.client_name, `${at}client_name`),
      },
      contact: userId
        ? {
            externalId: userId,
            name: text(ticket.user_name) ?? null,
            email: contactEmail(
              ticket.user_emailaddress ?? ticket.emailaddress ?? ticket.user_email,
              `${at}user_emailaddress`,
            ),
          }
        : null,
      touches: distinctTouches(touches),
    },
  };
}

/**
 * A HaloPSA date that is set: Halo writes a date it does not have (a ticket not yet cleared or
 * responded to) as 1900-01-01, its database's empty date.
 */
function setDate(value: unknown): unknown {
  return typeof value === "string" && value.startsWith("1900-01-01") ? undefined : value;
}

/**
 * An agent id that names a technician: Halo writes 1 for "unassigned" and 0 where no agent acted
 * (an end user's reply by email or the portal, an automation).
 */
function technician(value: unknown): string | undefined {
  const id = text(value);
  return id && id !== "0" && id !== "1" ? id : undefined;
}
