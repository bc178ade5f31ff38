import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { ConfigError, defaultPoolSize, loadConfig } from "../src/config.ts";
import { describeDatabase } from "../src/runtime.ts";

describe("configuration", () => {
  it("starts with no configuration at all", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      DATA_DIR: "./.data",
      PUBLIC_BASE_URL: "http://localhost:3000",
      LOG_LEVEL: "info",
    });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it("sizes the connection pool to the machine unless told", () => {
    expect([1, 2, 3, 8, 16].map((cores) => defaultPoolSize(cores))).toEqual([4, 4, 6, 16, 20]);
    expect(loadConfig({}).DATABASE_POOL_SIZE).toBe(
      Math.min(20, Math.max(4, 2 * availableParallelism())),
    );
    expect(loadConfig({ DATABASE_POOL_SIZE: "7" }).DATABASE_POOL_SIZE).toBe(7);
  });

  it.each([
    ["PORT", "abc"],
    ["PORT", "70000"],
    ["DATABASE_URL", "mysql://x"],
    // An unencoded `/` in the password: the driver would fail, printing the whole URL.
    ["DATABASE_URL", "postgres://rapport:s3cr/etPW@db.internal:5432/rapport"],
    ["PUBLIC_BASE_URL", "not a url"],
    // Survey links are the base and a path: a query or fragment would swallow the path.
    ["PUBLIC_BASE_URL", "https://rapport.example/#survey"],
    ["PUBLIC_BASE_URL", "https://rapport.example?utm=1"],
    ["RESEND_BASE_URL", "https://resend.example/?x"],
    ["LOG_LEVEL", "loud"],
    ["CONNECTWISE_KEY_ORIGINS", "notaurl"],
    ["CONNECTWISE_KEY_ORIGINS", "https://cw.msp.example/login"],
    ["APP_SECRET", "short"],
    ["DIGEST_TIMEZONE", "+01:00"],
    ["BUSINESS_TIMEZONE", "Mars/Olympus"],
    // Past the longest timer Node keeps: it would fire after 1 ms.
    ["REQUEST_TIMEOUT_MS", "2147483648"],
    ["SHUTDOWN_TIMEOUT_MS", "2147483648"],
    ["WORKER_INTERVAL_MS", "2147483648"],
  ])("a bad %s stops start-up with one line naming it", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    try {
      loadConfig({ [name]: value });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain(name);
      expect(message).not.toContain("\n");
    }
  });

  it("a bad DATABASE_URL is refused without echoing it; several hosts are read as the driver does", () => {
    try {
      loadConfig({ DATABASE_URL: "postgres://rapport:s3cr/etPW@db.internal:5432/rapport" });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain("s3cr");
    }
    const config = loadConfig({ DATABASE_URL: "postgres://app:s3cr3t@db1:5432,db2/rapport" });
    expect(describeDatabase(config)).toBe("PostgreSQL at db1:5432,db2:5432/rapport");
    expect(describeDatabase(loadConfig({ DATABASE_URL: "postgres://u:p%2Fq@db/r" }))).toBe(
      "PostgreSQL at db:5432/r",
    );
    // Forms the driver takes: no host, a unix socket directory, IPv6.
    for (const [url, described] of [
      ["postgresql:///rapport", "PostgreSQL at the default host/rapport"],
      [
        "postgres://app@%2Fvar%2Frun%2Fpostgresql/rapport",
        "PostgreSQL at /var/run/postgresql/rapport",
      ],
      ["postgres://app:pw@[::1]:5433/rapport?sslmode=disable", "PostgreSQL at [::1]:5433/rapport"],
    ] as const) {
      expect(describeDatabase(loadConfig({ DATABASE_URL: url }))).toBe(described);
    }
  });

  it("reads a base URL as URL writes it, and a variable set to blanks as unset", () => {
    expect(
      loadConfig({ PUBLIC_BASE_URL: "HTTPS://Rapport.Example/surveys/" }).PUBLIC_BASE_URL,
    ).toBe("https://rapport.example/surveys");
    // `PORT= ` in an env file: the default, not port 0 (a random free port).
    const blank = loadConfig({ PORT: "   ", SHUTDOWN_TIMEOUT_MS: " " });
    expect(blank.PORT).toBe(3000);
    expect(blank.SHUTDOWN_TIMEOUT_MS).toBe(10_000);
  });

  it("describes a URL whose password holds an unencoded @ by its host only, as the driver reads it", () => {
    const config = loadConfig({
      DATABASE_URL: "postgres://rapport:hunter2@topsecret@db.internal:5432/rapport",
    });
    expect(describeDatabase(config)).toBe("PostgreSQL at db.internal:5432/rapport");
  });

  it("refuses a DATABASE_URL whose user or password the driver cannot decode", () => {
    // The driver decodes both: a lone `%` would stop start-up with a stack trace naming nothing.
    for (const url of [
      "postgres://rapport:50%@127.0.0.1:5432/rapport",
      "postgres://rap%zz:secret@127.0.0.1:5432/rapport",
    ]) {
      expect(() => loadConfig({ DATABASE_URL: url })).toThrow(/DATABASE_URL/);
    }
    expect(
      loadConfig({ CONNECTWISE_KEY_ORIGINS: "https://cw.msp.example, http://10.0.0.5:443/" })
        .CONNECTWISE_KEY_ORIGINS,
    ).toEqual(["https://cw.msp.example", "http://10.0.0.5:443/"]);
    expect(loadConfig({ DATABASE_URL: "postgres://rapport:50%25@db/r" }).DATABASE_URL).toBe(
      "postgres://rapport:50%25@db/r",
    );
  });

  it("shows a refused value quoted, its line breaks kept on the message's one line", () => {
    expect(() => loadConfig({ LOG_LEVEL: "info\nsecond line" })).toThrow(
      'LOG_LEVEL Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent" (got "info\\nsecond line")',
    );
  });

  it("never echoes a secret-looking value", () => {
    expect(() => loadConfig({ APP_SECRET: "hunter2" })).toThrow(/APP_SECRET/);
    try {
      loadConfig({ APP_SECRET: "hunter2" });
    } catch (error) {
      expect((error as Error).message).not.toContain("hunter2");
    }
  });
});
