import { createApiKey } from "../../src/apikeys/keys.ts";
import type { Scope } from "../../src/apikeys/scopes.ts";
import { createApp } from "../../src/app.ts";
import { type Config, loadConfig } from "../../src/config.ts";
import type { Clock, ServiceContext, Services } from "../../src/context.ts";
import { createLogger } from "../../src/logger.ts";
import { createTestDatabase } from "./database.ts";

/** A clock that stands still until a test moves it. */
export class TestClock implements Clock {
  constructor(private current = new Date("2026-11-18T17:00:00Z")) {}
  now(): Date {
    return new Date(this.current);
  }
  set(at: Date | string): void {
    this.current = new Date(at);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface TestApp {
  app: ReturnType<typeof createApp>;
  services: Services;
  ctx: ServiceContext;
  clock: TestClock;
  config: Config;
  /** An API key with the given scopes, ready for `Authorization: Bearer`. */
  key(...scopes: Scope[]): Promise<string>;
  /** `app.request` with JSON bodies and an optional key. */
  request(
    path: string,
    init?: {
      method?: string;
      json?: unknown;
      /** Bytes go without a content type (a string body would be sent as text/plain). */
      body?: string | Uint8Array<ArrayBuffer>;
      key?: string;
      headers?: Record<string, string>;
    },
  ): Promise<Response>;
  close(): Promise<void>;
}

export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = loadConfig({
    PUBLIC_BASE_URL: "http://rapport.test",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ...env,
  });
  const clock = new TestClock();
  const logger = createLogger(config.LOG_LEVEL);
  const services: Services = { config, logger, database, clock };
  const app = createApp(services);
  const ctx: ServiceContext = { db: database.db, clock, config, logger };
  return {
    app,
    services,
    ctx,
    clock,
    config,
    key: async (...scopes) => (await createApiKey({ ctx, input: { name: "test", scopes } })).key,
    request: async (path, init = {}) => {
      const headers: Record<string, string> = { ...init.headers };
      if (init.key) headers.authorization = `Bearer ${init.key}`;
      let body = init.body;
      if (init.json !== undefined) {
        body = JSON.stringify(init.json);
        headers["content-type"] ??= "application/json";
      }
      return app.request(path, { method: init.method ?? (body ? "POST" : "GET"), headers, body });
    },
    close: () => database.close(),
  };
}

export async function problemOf(response: Response) {
  expectProblem(response);
  return (await response.json()) as {
    type: string;
    title: string;
    status: number;
    detail: string;
    instance: string;
    requestId: string;
    errors?: Array<{ path: string; message: string; in?: string }>;
  };
}

function expectProblem(response: Response) {
  const type = response.headers.get("content-type") ?? "";
  if (!type.startsWith("application/problem+json")) {
    throw new Error(`expected problem+json, got ${response.status} ${type}`);
  }
}

/** Signs in to the dashboard with an API key; the session cookie (`name=value`) to send. */
export async function dashboardCookie(app: TestApp, key: string): Promise<string> {
  const response = await app.request("/dashboard/sign-in", {
    method: "POST",
    body: new URLSearchParams({ key }).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
  return (response.headers.get("set-cookie") ?? "").split(";")[0]!;
}
