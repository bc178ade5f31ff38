import type postgres from "postgres";
import type { FakeResend } from "../../test/support/fake-resend.ts";

/** What every scenario answers: a verdict and the observations behind it. */
export interface ScenarioResult {
  pass: boolean;
  details: string;
}

/** Collects named checks; the verdict passes when every check does. */
export class Checks {
  private readonly lines: string[] = [];
  private failed = 0;

  /** Records one check: `observed` says what was seen, whatever the outcome. */
  expect(name: string, ok: boolean, observed: string): void {
    if (!ok) this.failed++;
    this.lines.push(`${ok ? "ok  " : "FAIL"} ${name}: ${observed}`);
  }

  note(line: string): void {
    this.lines.push(`     ${line}`);
  }

  result(): ScenarioResult {
    return { pass: this.failed === 0 && this.lines.length > 0, details: this.lines.join("\n") };
  }
}

/**
 * Exactly-once delivery of the seeded survey emails: the fake accepted one email per recipient
 * and none twice, and the database records every invitation as sent after at least one attempt.
 */
export async function checkDeliveredOnce(
  checks: Checks,
  sql: postgres.Sql,
  fake: FakeResend,
  recipients: string[],
): Promise<void> {
  const counts = fake.countsByRecipient("survey");
  const twice = [...counts.entries()].filter(([, n]) => n > 1);
  const missing = recipients.filter((to) => !counts.has(to));
  const accepted = [...counts.values()].reduce((sum, n) => sum + n, 0);
  checks.expect(
    "every recipient got exactly one email",
    twice.length === 0 && missing.length === 0 && counts.size === recipients.length,
    `${counts.size} distinct of ${recipients.length} expected, ${accepted} accepted, ` +
      `${twice.length} twice${twice[0] ? ` (e.g. ${twice[0][0]} x${twice[0][1]})` : ""}, ` +
      `${missing.length} missing`,
  );
  const [row] = await sql<
    Array<{ sent: number; other: number; unattempted: number; without_provider_id: number }>
  >`
    select count(*) filter (where status = 'sent')::int as sent,
           count(*) filter (where status <> 'sent')::int as other,
           count(*) filter (where not exists (
             select 1 from invitation_events e
             where e.invitation_id = i.id and e.type = 'send_attempt'))::int as unattempted,
           count(*) filter (where status = 'sent' and provider_message_id is null)::int
             as without_provider_id
    from invitations i`;
  checks.expect(
    "every invitation recorded as sent, with its attempts and provider id",
    row!.sent === recipients.length &&
      row!.other === 0 &&
      row!.unattempted === 0 &&
      row!.without_provider_id === 0,
    `${row!.sent} sent, ${row!.other} in another state, ${row!.unattempted} without an ` +
      `attempt event, ${row!.without_provider_id} sent without a provider id`,
  );
}

/** Waits (bounded) until no invitation is still scheduled or in flight; answers the stragglers. */
export async function pendingInvitations(sql: postgres.Sql): Promise<number> {
  const [row] = await sql<Array<{ n: number }>>`
    select count(*)::int as n from invitations where status in ('scheduled', 'sending')`;
  return row!.n;
}
