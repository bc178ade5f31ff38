import type { EmailKind } from "./transport.ts";

/**
 * The columns each kind of email keeps its state in: the survey email uses the invitation's
 * own status, the reminder its `reminder_*` columns. While in flight, the due column holds the
 * lease: a `sending` row whose due time has passed belongs to a worker that stopped.
 */
export interface Lane {
  kind: EmailKind;
  status: string;
  due: string;
  attempts: string;
  providerMessageId: string;
  sentAt: string;
  /** Prefix of the lane's invitation_events types (`send_attempt`, `reminder_sent`...). */
  event: string;
}

export const lanes: Record<EmailKind, Lane> = {
  survey: {
    kind: "survey",
    status: "status",
    due: "next_attempt_at",
    attempts: "attempts",
    providerMessageId: "provider_message_id",
    sentAt: "sent_at",
    event: "send",
  },
  reminder: {
    kind: "reminder",
    status: "reminder_status",
    due: "reminder_due_at",
    attempts: "reminder_attempts",
    providerMessageId: "reminder_provider_message_id",
    sentAt: "reminder_sent_at",
    event: "reminder",
  },
};

/** How long a claimed batch belongs to its worker before another may take it over. */
export const LEASE_MS = 5 * 60_000;
