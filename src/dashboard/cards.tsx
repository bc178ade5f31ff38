import { formatNumber, TrendChart } from "./charts.tsx";
import type { GroupRow, MetricCard, Window } from "./figures.ts";

function trendText(card: MetricCard): { text: string; direction: "up" | "down" | "flat" } | null {
  // The latest week (or month) with data against the one right before it: an empty period in
  // between means there is nothing to compare with, not a comparison with an older one.
  // Retention over part of a month is higher than over a whole one (its leavers have not all
  // left yet): its trend compares whole months, the month under way left out.
  const points =
    card.metric === "retention"
      ? card.points.filter((point) => point.complete !== false)
      : card.points;
  const lastIndex = points.findLastIndex((point) => point.value !== null);
  const last = points[lastIndex];
  const before = lastIndex > 0 ? points[lastIndex - 1] : undefined;
  if (!last || last.value === null || !before || before.value === null) return null;
  const change = Math.round((last.value - before.value) * 10) / 10;
  return {
    text: `${change > 0 ? "+" : ""}${formatNumber(change)} vs the ${card.metric === "retention" ? "month" : "week"} before`,
    direction: change > 0 ? "up" : change < 0 ? "down" : "flat",
  };
}

/** One metric: the window's figure with n and interval, the trend, and its chart. */
export function Card(props: { card: MetricCard }) {
  const { card } = props;
  const trend = trendText(card);
  return (
    <section
      class="card"
      data-metric={card.metric}
      data-value={card.value === null ? "" : String(card.value)}
      data-n={String(card.n)}
    >
      <div class="meta">{card.label}</div>
      <div class="figure">
        {card.value === null ? "–" : `${formatNumber(card.value)}${card.unit}`}
      </div>
      <div class="meta">
        n={formatNumber(card.n)}
        {card.interval
          ? ` · 95% ${formatNumber(card.interval.low)}–${formatNumber(card.interval.high)}${card.unit}`
          : ""}
        {card.lowSample ? " · low sample" : ""}
      </div>
      {trend ? <div class={`meta trend-${trend.direction}`}>{trend.text}</div> : null}
      <TrendChart
        title={`${card.label} by ${card.metric === "retention" ? "month" : "week"}`}
        points={card.points}
        min={card.min}
        max={card.max}
        unit={card.unit}
      />
    </section>
  );
}

export function Cards(props: { cards: MetricCard[]; window: Window }) {
  return (
    <>
      <p class="muted">
        {props.window.from} to {props.window.through} (UTC), shared credit. The same figures as{" "}
        <code>
          GET /v1/metrics/…?from={props.window.from}&amp;to={props.window.to}
        </code>
        .
      </p>
      <div class="cards">
        {props.cards.map((card) => (
          <Card key={card.metric} card={card} />
        ))}
      </div>
    </>
  );
}

export function GroupTable(props: {
  heading: string;
  rows: Array<{ href: string; name: string; figures: GroupRow | undefined }>;
}) {
  return (
    <table>
      <thead>
        <tr>
          <th>{props.heading}</th>
          <th class="num">CSAT %</th>
          <th class="num">n</th>
          <th class="num">NPS</th>
          <th class="num">n</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr key={row.href}>
            <td>
              <a href={row.href}>{row.name}</a>
            </td>
            <td class="num">
              {row.figures?.csat.value == null ? "–" : formatNumber(row.figures.csat.value)}
            </td>
            <td class="num">{formatNumber(row.figures?.csat.n ?? 0)}</td>
            <td class="num">
              {row.figures?.nps.value == null ? "–" : formatNumber(row.figures.nps.value)}
            </td>
            <td class="num">{formatNumber(row.figures?.nps.n ?? 0)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
