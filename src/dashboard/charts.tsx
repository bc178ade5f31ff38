/** A point of a trend: a bucket label and its value (null: no data in that bucket). */
export interface TrendPoint {
  label: string;
  value: number | null;
  n?: number;
  interval?: { low: number; high: number } | null;
  /** False for the period still under way (it ends after the window). */
  complete?: boolean;
}

const WIDTH = 360;
const HEIGHT = 120;
const PAD = { left: 34, right: 8, top: 8, bottom: 20 };

/**
 * An inline SVG line chart with its 95% interval as a band. Server-rendered, no script; the
 * figures are also in the `<title>` of each point and in the table beside it for screen readers.
 */
export function TrendChart(props: {
  title: string;
  points: TrendPoint[];
  min: number;
  max: number;
  unit?: string;
}) {
  const { points, min, max } = props;
  const unit = props.unit ?? "";
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) =>
    PAD.left + (points.length <= 1 ? plotW / 2 : (i * plotW) / (points.length - 1));
  const y = (v: number) => PAD.top + plotH - ((clamp(v, min, max) - min) / (max - min)) * plotH;
  const known = points.map((point, i) => ({ ...point, i })).filter((point) => point.value !== null);
  const line = known.map((p) => `${x(p.i).toFixed(1)},${y(p.value!).toFixed(1)}`).join(" ");
  const banded = known.filter((p) => p.interval);
  const band = banded.length
    ? [
        ...banded.map((p) => `${x(p.i).toFixed(1)},${y(p.interval!.high).toFixed(1)}`),
        ...banded
          .slice()
          .reverse()
          .map((p) => `${x(p.i).toFixed(1)},${y(p.interval!.low).toFixed(1)}`),
      ].join(" ")
    : "";
  const ticks = [min, (min + max) / 2, max];
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={props.title}
      xmlns="http://www.w3.org/2000/svg"
    >
      <title>{props.title}</title>
      {ticks.map((tick) => (
        <g key={tick}>
          <line
            x1={PAD.left}
            x2={WIDTH - PAD.right}
            y1={y(tick)}
            y2={y(tick)}
            stroke="#e5e7eb"
            stroke-width="1"
          />
          <text x={PAD.left - 4} y={y(tick) + 3} text-anchor="end" font-size="9" fill="#6b7280">
            {formatNumber(tick)}
          </text>
        </g>
      ))}
      {band ? <polygon points={band} fill="#2563eb" fill-opacity="0.12" /> : null}
      {line ? (
        <polyline points={line} fill="none" stroke="#2563eb" stroke-width="2" />
      ) : (
        <text x={WIDTH / 2} y={HEIGHT / 2} text-anchor="middle" font-size="11" fill="#6b7280">
          No data yet
        </text>
      )}
      {known.map((p) => (
        <circle key={p.i} cx={x(p.i)} cy={y(p.value!)} r="3" fill="#2563eb">
          <title>{`${p.label}: ${formatNumber(p.value!)}${unit}${p.n === undefined ? "" : ` (n=${formatNumber(p.n)})`}`}</title>
        </circle>
      ))}
      {points.map((p, i) =>
        i === 0 || i === points.length - 1 || points.length <= 6 ? (
          <text
            key={p.label}
            x={x(i)}
            y={HEIGHT - 6}
            text-anchor="middle"
            font-size="9"
            fill="#6b7280"
          >
            {p.label}
          </text>
        ) : null,
      )}
    </svg>
  );
}

/** A horizontal bar of a value against its target on a fixed scale. */
export function TargetBar(props: {
  value: number | null;
  target: number;
  min: number;
  max: number;
}) {
  const width = 160;
  const scale = (v: number) =>
    ((clamp(v, props.min, props.max) - props.min) / (props.max - props.min)) * width;
  const reached = props.value !== null && props.value >= props.target;
  return (
    <svg
      class="target-bar"
      viewBox={`0 0 ${width} 12`}
      role="img"
      aria-label="value against target"
    >
      <rect x="0" y="2" width={width} height="8" fill="#e5e7eb" />
      {props.value === null ? null : (
        <rect
          x="0"
          y="2"
          width={scale(props.value)}
          height="8"
          fill={reached ? "#16a34a" : "#dc2626"}
        />
      )}
      <line
        x1={scale(props.target)}
        x2={scale(props.target)}
        y1="0"
        y2="12"
        stroke="#111827"
        stroke-width="2"
      />
    </svg>
  );
}

function clamp(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, v));
}

/** One decimal at most: 87.5, 42, -12.3. */
export function formatNumber(value: number): string {
  return String(Math.round(value * 10) / 10);
}
