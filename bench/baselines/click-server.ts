// The click baseline: bare Hono + postgres.js finding the invitation by its token hash and
// upserting the answer, two autocommit statements per request, with no transaction, scanner
// analysis, evidence, logging or page template. rapport's `GET /r/{token}/{score}` is measured
// against it.
import { createHash } from "node:crypto";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import postgres from "postgres";

const sql = postgres(process.env.DATABASE_URL!, {
  max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
  onnotice: () => {},
});
const app = new Hono();

app.get("/r/:token/:score", async (c) => {
  const score = Number(c.req.param("score"));
  const hash = createHash("sha256").update(c.req.param("token")).digest("hex");
  const [invitation] =
    await sql`select id, survey_id, client_id from invitations where token_hash = ${hash}`;
  if (!invitation) return c.html("<p>Not found</p>", 404);
  await sql`insert into responses (invitation_id, survey_id, client_id, scale, score, responded_at, final_at)
    values (${invitation.id}, ${invitation.survey_id}, ${invitation.client_id}, 'nps', ${score}, now(), now() + interval '30 minutes')
    on conflict (invitation_id) do update set score = excluded.score, updated_at = now()`;
  return c.html(`<!doctype html><p>Thank you: ${score}</p>`);
});

serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${info.port}` }));
});
