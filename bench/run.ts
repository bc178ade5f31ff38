// `npm run bench`: every bench against a real PostgreSQL server, each next to its baseline
// measured in the same run, printed as one table (and written to bench/results/latest.md).
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { defaultPoolSize } from "../src/config.ts";
import { benchClick } from "./click.ts";
import { benchIntake } from "./intake.ts";
import { benchMetrics } from "./metrics.ts";
import { benchRender } from "./render.ts";
import { benchServerUrl, ROOT } from "./support.ts";

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    seconds: { type: "string", default: "10" },
    warmup: { type: "string", default: "5" },
    connections: { type: "string", default: "50" },
    responses: { type: "string", default: "1000000" },
    emails: { type: "string", default: "2000" },
  },
});
const only = values.only?.split(",");
const wanted = (name: string) => !only || only.includes(name);
const seconds = Number(values.seconds);
const warmupSeconds = Number(values.warmup);
const connections = Number(values.connections);

interface Row {
  bench: string;
  rapport: string;
  baseline: string;
  ratio: string;
  target: string;
  verdict: "pass" | "FAIL";
}
const rows: Row[] = [];
const fixed = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits });

const serverUrl = benchServerUrl();
console.error(`bench: PostgreSQL at ${new URL(serverUrl).host}`);

if (wanted("click")) {
  console.error("bench: click ...");
  const r = await benchClick({
    databaseUrl: serverUrl,
    durationSeconds: seconds,
    warmupSeconds,
    connections,
  });
  const ratio = r.rapport.requestsPerSecond / r.baseline.requestsPerSecond;
  rows.push({
    bench: `click GET /r/{token}/{score}, ${connections} connections`,
    rapport: `${fixed(r.rapport.requestsPerSecond)} req/s, p99 ${r.rapport.p99Ms} ms, CPU ${r.rapport.cpuMsPerRequest} ms/req`,
    baseline: `${fixed(r.baseline.requestsPerSecond)} req/s, p99 ${r.baseline.p99Ms} ms, CPU ${r.baseline.cpuMsPerRequest} ms/req`,
    ratio: `${ratio.toFixed(2)}x`,
    target: ">= 0.6x, p99 < 50 ms",
    // Both sides answered every request: a side that failed requests proves nothing.
    verdict:
      ratio >= 0.6 &&
      r.rapport.p99Ms < 50 &&
      [r.rapport, r.baseline].every(
        (side) => side.non2xx === 0 && side.errors === 0 && side.requestsPerSecond > 0,
      )
        ? "pass"
        : "FAIL",
  });
  rows.push({
    bench: "server RSS under the click load",
    rapport: `${r.rssMb} MB`,
    baseline: "-",
    ratio: "-",
    target: "<= 200 MB",
    verdict: r.rssMb <= 200 ? "pass" : "FAIL",
  });
}

if (wanted("intake")) {
  console.error("bench: intake ...");
  const r = await benchIntake({
    serverUrl,
    seconds,
    warmupSeconds,
    connections: Math.min(connections, 20),
  });
  const ratio = r.rapport.requestsPerSecond / r.baseline.requestsPerSecond;
  rows.push({
    bench: "intake POST /v1/events, ticket.closed with 3 touches",
    rapport: `${fixed(r.rapport.requestsPerSecond)} events/s, p99 ${r.rapport.p99Ms} ms, CPU ${r.rapport.cpuMsPerRequest} ms/event`,
    baseline: `${fixed(r.baseline.requestsPerSecond)} events/s, p99 ${r.baseline.p99Ms} ms, CPU ${r.baseline.cpuMsPerRequest} ms/event`,
    ratio: `${ratio.toFixed(2)}x`,
    target: ">= 1,000 events/s",
    verdict: r.rapport.requestsPerSecond >= 1000 ? "pass" : "FAIL",
  });
}

if (wanted("metrics")) {
  console.error(`bench: metrics over ${fixed(Number(values.responses))} responses ...`);
  const r = await benchMetrics({ databaseUrl: serverUrl, responses: Number(values.responses) });
  console.error(
    `bench: metrics seeded in ${fixed(r.seedSeconds, 1)} s, rollups built in ${fixed(r.rollupSeconds, 1)} s`,
  );
  // Each endpoint is set against the raw query answering the same question in the same run.
  const rawMs = (path: string) =>
    path.includes("response-rate") ? r.rawResponseRateMs : r.rawGroupByMs;
  for (const endpoint of r.endpoints) {
    rows.push({
      bench: `metrics ${endpoint.name}, ${fixed(r.responses)} responses`,
      rapport: `p50 ${endpoint.p50Ms} ms, p95 ${endpoint.p95Ms} ms`,
      baseline: `raw query ${fixed(rawMs(endpoint.path))} ms`,
      ratio: `${(rawMs(endpoint.path) / Math.max(endpoint.p95Ms, 0.1)).toFixed(0)}x faster`,
      target: "p95 < 50 ms",
      verdict: endpoint.p95Ms < 50 ? "pass" : "FAIL",
    });
  }
}

if (wanted("render")) {
  console.error("bench: render ...");
  const r = await benchRender({ count: Number(values.emails) });
  rows.push({
    bench: "survey email render, one core",
    rapport: `${fixed(r.rate)} ${r.unit}`,
    baseline: `${fixed(r.baselineRate)} ${r.unit} (string templates)`,
    ratio: `${(r.rate / r.baselineRate).toFixed(2)}x`,
    target: ">= 300 emails/s",
    verdict: r.rate >= 300 ? "pass" : "FAIL",
  });
}

const machine = `${cpus().length} x ${cpus()[0]?.model.trim() ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, pool ${defaultPoolSize()} per server, ${new Date().toISOString().slice(0, 10)}`;
const header =
  "| bench | rapport | baseline (same run) | ratio | target | verdict |\n| --- | --- | --- | --- | --- | --- |";
const table = [
  header,
  ...rows.map(
    (r) =>
      `| ${r.bench} | ${r.rapport} | ${r.baseline} | ${r.ratio} | ${r.target} | ${r.verdict} |`,
  ),
].join("\n");
const report = `Machine: ${machine}\n\n${table}\n`;
console.log(report);
mkdirSync(`${ROOT}/bench/results`, { recursive: true });
writeFileSync(`${ROOT}/bench/results/latest.md`, report);
process.exit(rows.some((r) => r.verdict === "FAIL") ? 1 : 0);
