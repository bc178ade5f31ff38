import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { createServerDatabase } from "../test/support/database.ts";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The node flags `npm start` runs the server with: the benches measure the server as it ships. */
export const START_FLAGS: string[] = (
  JSON.parse(readFileSync(`${ROOT}/package.json`, "utf8")).scripts.start as string
)
  .split(/\s+/)
  .filter((word) => word.startsWith("--"));

/** A PostgreSQL server for the benches: BENCH_DATABASE_URL, or the CI script's throwaway one. */
export function benchServerUrl(): string {
  const configured = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (configured) return configured;
  return execFileSync("bash", [`${ROOT}/.ci/postgres.sh`], { encoding: "utf8" }).trim();
}

/** A fresh database on the server; `drop` removes it. */
export function freshDatabase(serverUrl: string, label: string) {
  return createServerDatabase(serverUrl, `rapport_bench_${label}`);
}

export interface ChildServer {
  child: ChildProcess;
  baseUrl: string;
  /** What the child printed: its standard error, and its output until it said where it listens. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts a node script that logs a JSON line with `"url":"http://..."` once it listens; `wrap` is
 * a command that runs node (a profiler), given what to run after it.
 */
export function startChild(
  args: string[],
  env: Record<string, string>,
  options: { wrap?: string[]; timeoutMs?: number } = {},
): Promise<ChildServer> {
  return new Promise((resolve, reject) => {
    const [command, ...rest] = [...(options.wrap ?? []), process.execPath, ...args];
    const child = spawn(command!, rest, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    // A child that never says where it listens is stopped, not left running.
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`did not start:\n${output}`));
    }, options.timeoutMs ?? 60_000);
    child.stdout!.on("data", (chunk) => {
      output += chunk;
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.removeAllListeners("data");
        child.stdout!.resume();
        resolve({
          child,
          baseUrl: match[1]!,
          output: () => output,
          stop: () =>
            new Promise((done) => {
              child.once("exit", () => done());
              child.kill("SIGTERM");
            }),
        });
      }
    });
    child.stderr!.on("data", (chunk) => {
      output += chunk;
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${output}`));
    });
  });
}

let clockTicks: number | undefined;

/** CPU time (user and system) a process has used so far, in milliseconds (Linux). */
export function cpuMsOf(pid: number): number {
  clockTicks ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  // The command name may hold spaces and parens: the fields after it start past its last paren.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}

/** CPU milliseconds spent over a number of requests, per request, to the microsecond. */
export function cpuMsPerRequest(cpuMs: number, requests: number): number {
  return Math.round((cpuMs / Math.max(1, requests)) * 1000) / 1000;
}

/** Resident and peak resident memory of a process, in MB (Linux). */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) =>
    Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  return { rssMb: Math.round(field("VmRSS")), peakMb: Math.round(field("VmHWM")) };
}

/**
 * One turn's raw autocannon result (`skipAggregateResult`): its latency histogram stays encoded
 * until a side's turns are merged.
 */
export interface Round {
  totalCompletedRequests: number;
  duration: number;
  non2xx: number;
}

/** A side's figures over all its turns. */
export interface SideFigures {
  requestsPerSecond: number;
  p99Ms: number;
  non2xx: number;
  /** Connection errors and time-outs. */
  errors: number;
  /** The server process's CPU time per request, user and system, in milliseconds. */
  cpuMsPerRequest: number;
}

/** autocannon's merge of raw results, which its type declarations leave out. */
const { aggregateResult } = autocannon as unknown as {
  aggregateResult(
    results: Round[],
    options: { url: string; connections: number },
  ): autocannon.Result;
};

/**
 * Runs two servers' loads in turns (a, b, b, a, a, b, ...), so a slow spell of a shared machine
 * falls on both rather than on whichever side it happens to meet. `turn` drives one side for one
 * turn; each side's figure is all its requests over all its time, the p99 of all its requests
 * (the turns' latency histograms merged), and its server's CPU time over its requests.
 */
export async function takeTurns<Side extends string>(
  servers: Record<Side, ChildServer>,
  order: readonly [Side, Side],
  options: { turns: number; connections: number },
  turn: (side: Side, index: number) => Promise<Round>,
): Promise<Record<Side, SideFigures>> {
  const rounds = new Map<Side, Round[]>(order.map((side) => [side, []]));
  const cpuMs = new Map<Side, number>(order.map((side) => [side, 0]));
  for (let index = 0; index < options.turns; index++) {
    const [first, second] = index % 2 === 0 ? order : ([order[1], order[0]] as const);
    for (const side of [first, second]) {
      const pid = servers[side].child.pid!;
      const cpuBefore = cpuMsOf(pid);
      rounds.get(side)!.push(await turn(side, index));
      cpuMs.set(side, cpuMs.get(side)! + cpuMsOf(pid) - cpuBefore);
    }
  }
  const figures = {} as Record<Side, SideFigures>;
  for (const side of order) {
    const sideRounds = rounds.get(side)!;
    const requests = sideRounds.reduce((sum, round) => sum + round.totalCompletedRequests, 0);
    const seconds = sideRounds.reduce((sum, round) => sum + round.duration, 0);
    const merged = aggregateResult(sideRounds, {
      url: servers[side].baseUrl,
      connections: options.connections,
    });
    figures[side] = {
      requestsPerSecond: Math.round(requests / seconds),
      p99Ms: merged.latency.p99,
      non2xx: merged.non2xx,
      errors: merged.errors + merged.timeouts,
      cpuMsPerRequest: cpuMsPerRequest(cpuMs.get(side)!, requests),
    };
  }
  return figures;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}
