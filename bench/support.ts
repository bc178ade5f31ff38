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
  stop(): Promise<void>;
}

/** Starts a node script that logs a JSON line with `"url":"http://..."` once it listens. */
export function startChild(args: string[], env: Record<string, string>): Promise<ChildServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const timer = setTimeout(() => reject(new Error(`did not start:\n${output}`)), 60_000);
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

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
}

/** Runs autocannon and keeps the figures the benches report. */
export async function load(options: autocannon.Options): Promise<LoadResult> {
  const result = await autocannon({ ...options });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}
