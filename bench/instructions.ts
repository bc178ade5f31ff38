// `npm run bench:instructions`: the user-space instructions a repeat click costs the rapport
// server and the baseline, counted by valgrind's callgrind. Unlike time, the count hardly moves
// with what else the machine is doing (runs of the same code agree within a few percent, where
// times move by ten), so it tells whether a change to the click's code made it cheaper. Each server runs under callgrind with
// collection off; its links are answered once and clicked 3,000 times to warm up, then collection
// is switched on for `--clicks` repeat clicks (10 connections) and off again.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { openDatabase } from "../src/db/client.ts";
import { clicks, seed } from "./click.ts";
import { benchServerUrl, freshDatabase, ROOT, START_FLAGS, startChild } from "./support.ts";

const { values } = parseArgs({ options: { clicks: { type: "string", default: "3000" } } });
const count = Number(values.clicks);
// valgrind names its control pipe after HOST, which the rapport server also reads.
const HOST = "127.0.0.1";

async function instructionsPerClick(side: "rapport" | "baseline"): Promise<number> {
  const database = await freshDatabase(benchServerUrl(), "instructions");
  const outFile = `${ROOT}/bench/results/callgrind.${side}.out`;
  try {
    const secret = randomBytes(32).toString("base64url");
    const seeding = await openDatabase({ driver: "postgres", url: database.url, poolSize: 2 });
    const tokens = await seed(seeding.db, secret, 500);
    await seeding.close();
    const script =
      side === "rapport"
        ? [...START_FLAGS, `${ROOT}/bin/rapport.js`, "serve"]
        : ["--import", "tsx", `${ROOT}/bench/baselines/click-server.ts`];
    const server = await startChild(
      script,
      {
        HOST,
        PORT: "0",
        DATABASE_URL: database.url,
        DATABASE_POOL_SIZE: "4",
        APP_SECRET: secret,
        WORKER_ENABLED: "false",
        LOG_LEVEL: "info",
        RATE_LIMIT_PER_MINUTE: "1000000000",
        // A server under valgrind runs some fifty times slower.
        REQUEST_TIMEOUT_MS: "600000",
      },
      {
        wrap: [
          "valgrind",
          "--tool=callgrind",
          "--instr-atstart=no",
          `--callgrind-out-file=${outFile}`,
        ],
        timeoutMs: 600_000,
      },
    );
    const load = async (amount: number) => {
      const result = await clicks(server.baseUrl, tokens, { connections: 10, amount });
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${side}: clicks failed`);
    };
    const collect = (state: "on" | "off") =>
      execFileSync("callgrind_control", ["-i", state, String(server.child.pid)], {
        env: { ...process.env, HOST },
        stdio: "ignore",
      });
    try {
      await load(tokens.length);
      await load(3000);
      collect("on");
      await load(count);
      collect("off");
    } finally {
      await server.stop();
    }
    const total = /I\s+refs:\s+([\d,]+)/.exec(server.output())?.[1];
    if (!total) throw new Error(`${side}: no instruction count:\n${server.output()}`);
    return Math.round(Number(total.replaceAll(",", "")) / count);
  } finally {
    rmSync(outFile, { force: true });
    await database.drop();
  }
}

const rapport = await instructionsPerClick("rapport");
const baseline = await instructionsPerClick("baseline");
const format = (n: number) => n.toLocaleString("en-US");
console.log(`| server | instructions per repeat click |
| --- | --- |
| rapport | ${format(rapport)} |
| baseline | ${format(baseline)} |
| ratio | ${(rapport / baseline).toFixed(2)}x |`);
