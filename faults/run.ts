// `npm run faults`: every fault scenario against real processes and a real PostgreSQL server,
// one after another, then a verdict table. `npm run faults -- --only worker-kill,psa-triple`
// runs some; `--fast` runs the short variants CI uses; exit code 1 when any scenario fails.
import { parseArgs } from "node:util";
import type { ScenarioResult } from "./support/verdict.ts";

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    fast: { type: "boolean", default: false },
    "outage-seconds": { type: "string" },
    "real-lease": { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
  },
});
const fast = values.fast;
const log = values.quiet ? () => {} : (line: string) => console.error(line);

type Runner = () => Promise<ScenarioResult>;
const scenarios: Record<string, Runner> = {
  "worker-kill": async () =>
    (await import("./worker-kill.ts")).scenario({
      invitations: fast ? 150 : 300,
      realLease: values["real-lease"],
      log,
    }),
  "resend-outage": async () =>
    (await import("./resend-outage.ts")).scenario({
      invitations: fast ? 150 : 300,
      outageSeconds: Number(values["outage-seconds"] ?? (fast ? 10 : 60)),
      log,
    }),
  "postgres-restart": async () =>
    (await import("./postgres-restart.ts")).scenario({
      invitations: fast ? 1000 : 3000,
      downSeconds: 5,
      log,
    }),
  "two-instances": async () =>
    (await import("./two-instances.ts")).scenario({ events: fast ? 40 : 200, log }),
  "psa-triple": async () =>
    (await import("./psa-triple.ts")).scenario({ rounds: fast ? 1 : 3, log }),
};

const wanted = values.only?.split(",").map((name) => name.trim()) ?? Object.keys(scenarios);
const unknown = wanted.filter((name) => !(name in scenarios));
if (unknown.length > 0) {
  console.error(
    `faults: unknown scenario(s) ${unknown.join(", ")}; known: ${Object.keys(scenarios).join(", ")}`,
  );
  process.exit(2);
}

const rows: Array<{ name: string; verdict: string; seconds: string }> = [];
for (const name of wanted) {
  const started = Date.now();
  log(`\n== ${name}`);
  let result: ScenarioResult;
  try {
    result = await scenarios[name]!();
  } catch (error) {
    result = {
      pass: false,
      details: `FAIL the scenario crashed: ${(error as Error).stack ?? error}`,
    };
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`\n${name}: ${result.pass ? "PASS" : "FAIL"} (${seconds} s)\n${result.details}`);
  rows.push({ name, verdict: result.pass ? "PASS" : "FAIL", seconds });
}

console.log(
  [
    "",
    "| scenario | verdict | seconds |",
    "| --- | --- | --- |",
    ...rows.map((row) => `| ${row.name} | ${row.verdict} | ${row.seconds} |`),
  ].join("\n"),
);
process.exit(rows.every((row) => row.verdict === "PASS") ? 0 : 1);
