import { connect, type Socket } from "node:net";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmptyServerDatabase, type ServerDatabase } from "./support/database.ts";

// The postgres driver's transactions, as patched in patches/postgres+3.4.9.patch: BEGIN is not
// waited for, and the transaction's first statement goes out in the same write. PGlite runs in
// process, so these run on the PostgreSQL server only (TEST_DATABASE_URL).
const server = process.env.TEST_DATABASE_URL;

describe.skipIf(!server)("a transaction on the postgres driver", () => {
  let database: ServerDatabase;
  let writes = 0;
  let sql: postgres.Sql;

  beforeAll(async () => {
    database = (await createEmptyServerDatabase())!;
    const url = new URL(database.url);
    // One connection, whose writes to the server are counted (the driver's `socket` option,
    // which its types leave out).
    const options = {
      max: 1,
      onnotice: () => {},
      socket: () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect(Number(url.port), url.hostname);
          const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
          socket.write = ((...args: unknown[]) => {
            writes++;
            return write(...args);
          }) as Socket["write"];
          socket.once("connect", () => resolve(socket));
          socket.once("error", reject);
        }),
    };
    sql = postgres(database.url, options as postgres.Options<Record<string, never>>);
    await sql`create table items (id int primary key, note text not null)`;
  });

  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await database?.drop();
  });

  it("sends BEGIN and its first statement together, and commits", async () => {
    const before = writes;
    await sql.begin(async (tx) => {
      await tx`insert into items values (1, 'first')`;
    });
    // BEGIN with the insert, then COMMIT: two writes, not three.
    expect(writes - before).toBe(2);
    expect(await sql`select note from items where id = 1`).toEqual([{ note: "first" }]);
  });

  it("rolls everything back when the first statement fails, and the connection goes on", async () => {
    await expect(
      sql.begin(async (tx) => {
        await tx`insert into items values (2, null)`;
      }),
    ).rejects.toMatchObject({ code: "23502" });
    await expect(
      sql.begin(async (tx) => {
        await tx`insert into items values (3, 'kept for now')`;
        await tx`insert into items values (3, 'a duplicate')`;
      }),
    ).rejects.toMatchObject({ code: "23505" });
    expect(await sql`select id from items where id in (2, 3)`).toEqual([]);
    await sql.begin((tx) => tx`insert into items values (4, 'after')`);
    expect(await sql`select note from items where id = 4`).toEqual([{ note: "after" }]);
  });

  it("keeps the connection to itself: a statement queued meanwhile runs outside it", async () => {
    const rolledBack = sql.begin(async (tx) => {
      await tx`insert into items values (5, 'rolled back')`;
      await tx`select pg_sleep(0.2)`;
      throw new Error("abandoned");
    });
    // Issued while the transaction holds the pool's one connection.
    const outside = sql`insert into items values (6, 'outside')`;
    const concurrent = sql.begin((tx) => tx`insert into items values (7, 'its own')`);
    await expect(rolledBack).rejects.toThrow("abandoned");
    await outside;
    await concurrent;
    expect(await sql`select id from items where id between 5 and 7 order by id`).toEqual([
      { id: 6 },
      { id: 7 },
    ]);
  });
});
