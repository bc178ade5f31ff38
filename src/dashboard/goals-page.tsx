import type { Attainment } from "../goals/attainment.ts";
import { formatNumber, TargetBar } from "./charts.tsx";
import { Layout, type PageFrame } from "./layout.tsx";

const LABELS = { csat: "CSAT %", nps: "NPS", "response-rate": "Response rate %" } as const;

export function AttainmentTable(props: { entries: Attainment[] }) {
  if (props.entries.length === 0) return <p class="muted">No goals for this period.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Team</th>
          <th>Member</th>
          <th>Metric</th>
          <th>Period</th>
          <th class="num">Target</th>
          <th class="num">Actual</th>
          <th class="num">n</th>
          <th class="num">95% interval</th>
          <th>Progress</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        {props.entries.map((entry) => (
          <tr key={`${entry.goal.id}-${entry.period}`} data-goal={entry.goal.id}>
            <td>
              <a href={`/dashboard/teams/${encodeURIComponent(entry.team.key)}`}>
                {entry.team.name}
              </a>
            </td>
            <td>{entry.member?.name ?? ""}</td>
            <td>{LABELS[entry.metric]}</td>
            <td>{entry.period}</td>
            <td class="num">{formatNumber(entry.target)}</td>
            <td class="num" data-value={entry.value === null ? "" : String(entry.value)}>
              {entry.value === null ? "–" : formatNumber(entry.value)}
            </td>
            <td class="num" data-n={String(entry.n)}>
              {formatNumber(entry.n)}
            </td>
            <td class="num">
              {entry.interval
                ? `${formatNumber(entry.interval.low)} – ${formatNumber(entry.interval.high)}`
                : "–"}
            </td>
            <td>
              <TargetBar
                value={entry.value}
                target={entry.target}
                min={entry.metric === "nps" ? -100 : 0}
                max={100}
              />
            </td>
            <td>
              <span class={`status status-${entry.status}`}>
                {entry.status.replaceAll("_", " ")}
              </span>
              {entry.final ? <span class="muted"> final</span> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function GoalsPage(props: PageFrame & { period: string; entries: Attainment[] }) {
  return (
    <Layout {...props}>
      <h1>Goals · {props.period}</h1>
      <form method="get" action="/dashboard/goals" class="inline">
        <label for="period">Period</label>
        <input
          id="period"
          type="text"
          name="period"
          value={props.period}
          placeholder="2026-11 or 2026-Q4"
        />
        <button type="submit">Show</button>
      </form>
      <p class="muted">
        A month also shows its quarter's goals, each row with the period its figures cover. A period
        stays live until its grace time has passed after its end; then its figures are final and
        never change.
      </p>
      <AttainmentTable entries={props.entries} />
    </Layout>
  );
}
