/**
 * A HaloPSA "ticket action added" webhook body closing ticket `id`, shaped after HaloPSA's
 * outbound webhooks; `edit` adjusts it for a variation.
 */
export function haloTicketClosed(
  id: number,
  options: {
    webhookId?: string;
    edit?: (body: { ticket: Record<string, unknown>; action: Record<string, unknown> }) => void;
  } = {},
): string {
  const body = {
    id: options.webhookId ?? `wh-${id}`,
    event: "Ticket Action Added",
    ticket: {
      id,
      summary: "Printer offline on 2nd floor",
      client_id: 41,
      client_name: "Bayside Dental",
      user_id: 900 + id,
      user_name: "Mo Ahmed",
      user_emailaddress: `mo.ahmed+${id}@bayside.example`,
      team: "1st Line Support",
      team_id: 3,
      agent_id: 7,
      agent_name: "Kim Lee",
      status_id: 9,
      dateoccurred: "2026-11-18T09:00:00Z",
      datecleared: "2026-11-18T16:00:00Z",
    } as Record<string, unknown>,
    action: {
      id: 5001,
      ticket_id: id,
      outcome: "Closed",
      who: "Ravi Patel",
      who_agentid: 12,
      timetaken: 0.5,
      datetime: "2026-11-18T15:55:00Z",
    } as Record<string, unknown>,
  };
  options.edit?.(body);
  return JSON.stringify(body);
}
