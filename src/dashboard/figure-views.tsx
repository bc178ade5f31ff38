import type { Attainment } from "../goals/attainment.ts";
import type { EscalationGroup } from "../metrics/escalation.ts";
import { Cards, GroupTable } from "./cards.tsx";
import { formatNumber } from "./charts.tsx";
import type { GroupRow, MetricCard, Window } from "./figures.ts";
import { AttainmentTable } from "./goals-page.tsx";
import { Layout, type PageFrame } from "./layout.tsx";

interface TeamLink {
  key: string;
  name: string;
}

/** Open and overdue follow-ups, counted in full (not from a listed page). */
interface FollowupCounts {
  open: number;
  overdue: number;
}

function FollowupSummary(props: { followups: FollowupCounts; team?: string }) {
  const { open, overdue } = props.followups;
  const query = props.team ? `&team=${encodeURIComponent(props.team)}` : "";
  return (
    <p>
      <a href={`/dashboard/followups?state=open${query}`}>{open} open follow-ups</a>
      {", "}
      <a href={`/dashboard/followups?state=overdue${query}`}>{overdue} overdue</a>
    </p>
  );
}

export function OverviewPage(
  props: PageFrame & {
    window: Window;
    cards: MetricCard[];
    teams: TeamLink[];
    byTeam: Map<string, GroupRow>;
    goals: Attainment[];
    followups: FollowupCounts;
  },
) {
  return (
    <Layout {...props}>
      <h1>Overview</h1>
      <Cards cards={props.cards} window={props.window} />
      <h2>Follow-ups</h2>
      <FollowupSummary followups={props.followups} />
      <h2>Teams</h2>
      <GroupTable
        heading="Team"
        rows={props.teams.map((team) => ({
          href: `/dashboard/teams/${encodeURIComponent(team.key)}`,
          name: team.name,
          figures: props.byTeam.get(team.key),
        }))}
      />
      <h2>Goals this period</h2>
      <AttainmentTable entries={props.goals} />
    </Layout>
  );
}

export function TeamsPage(
  props: PageFrame & { window: Window; teams: TeamLink[]; byTeam: Map<string, GroupRow> },
) {
  return (
    <Layout {...props}>
      <h1>Teams</h1>
      <p class="muted">
        {props.window.from} to {props.window.through}. Every team that touched a work item counts
        its response in full (shared credit), so team figures overlap by design.
      </p>
      <GroupTable
        heading="Team"
        rows={props.teams.map((team) => ({
          href: `/dashboard/teams/${encodeURIComponent(team.key)}`,
          name: team.name,
          figures: props.byTeam.get(team.key),
        }))}
      />
    </Layout>
  );
}

export function TeamPage(
  props: PageFrame & {
    team: TeamLink & { leadEmail: string | null };
    window: Window;
    cards: MetricCard[];
    members: Array<{ externalId: string; name: string }>;
    byMember: Map<string, GroupRow>;
    goals: Attainment[];
    followups: FollowupCounts;
  },
) {
  return (
    <Layout {...props}>
      <p>
        <a href="/dashboard/teams">All teams</a>
      </p>
      <h1>{props.team.name}</h1>
      {props.team.leadEmail ? <p class="muted">Lead: {props.team.leadEmail}</p> : null}
      <Cards cards={props.cards} window={props.window} />
      <h2>Follow-ups</h2>
      <FollowupSummary followups={props.followups} team={props.team.key} />
      <h2>Goals</h2>
      <AttainmentTable entries={props.goals} />
      <h2>Members</h2>
      <GroupTable
        heading="Member"
        rows={props.members.map((member) => ({
          href: `/dashboard/members/${encodeURIComponent(member.externalId)}`,
          name: member.name,
          figures: props.byMember.get(member.externalId),
        }))}
      />
    </Layout>
  );
}

export function MemberPage(
  props: PageFrame & {
    member: { externalId: string; name: string; team: TeamLink | null };
    window: Window;
    cards: MetricCard[];
  },
) {
  return (
    <Layout {...props}>
      <p>
        {props.member.team ? (
          <a href={`/dashboard/teams/${encodeURIComponent(props.member.team.key)}`}>
            {props.member.team.name}
          </a>
        ) : (
          <a href="/dashboard/teams">All teams</a>
        )}
      </p>
      <h1>{props.member.name}</h1>
      <p class="muted">Responses on work this member touched, wherever the work came from.</p>
      <Cards cards={props.cards} window={props.window} />
    </Layout>
  );
}

const ESCALATION_LABELS = {
  "multi-team": "Touched by more than one team",
  "single-team": "Touched by one team",
  untouched: "No recorded touches",
} as const;

export function EscalationsPage(props: PageFrame & { window: Window; groups: EscalationGroup[] }) {
  const value = (v: number | null) => (v === null ? "–" : formatNumber(v));
  return (
    <Layout {...props}>
      <h1>Escalations</h1>
      <p class="muted">
        Shared goals across teams: work handed between teams against work one team kept,{" "}
        {props.window.from} to {props.window.through}, as{" "}
        <code>
          GET /v1/metrics/escalation?from={props.window.from}&amp;to={props.window.to}
        </code>
        .
      </p>
      <table>
        <thead>
          <tr>
            <th>Work</th>
            <th class="num">CSAT %</th>
            <th class="num">n</th>
            <th class="num">NPS</th>
            <th class="num">n</th>
            <th class="num">Closed items</th>
            <th class="num">Median hours open</th>
          </tr>
        </thead>
        <tbody>
          {props.groups.map((group) => (
            <tr key={group.escalation} data-escalation={group.escalation}>
              <td>{ESCALATION_LABELS[group.escalation]}</td>
              <td class="num">{value(group.csat.value)}</td>
              <td class="num">{formatNumber(group.csat.n)}</td>
              <td class="num">{value(group.nps.value)}</td>
              <td class="num">{formatNumber(group.nps.n)}</td>
              <td class="num">{group.resolution.items}</td>
              <td class="num">{value(group.resolution.medianHours)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}
