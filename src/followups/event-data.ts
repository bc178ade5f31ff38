import { eq } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { clients, type responses, workItems } from "../db/schema/index.ts";

type Response = typeof responses.$inferSelect;

/**
 * What every webhook event about a response carries: the answer, its client and work item, and
 * a link for people. Chat formats (Slack, Teams) are rendered from exactly these fields.
 */
export async function responseSubject(
  ctx: Pick<ServiceContext, "db" | "config">,
  response: Response,
  path: string,
) {
  const [client] = await ctx.db
    .select({ id: clients.id, externalId: clients.externalId, name: clients.name })
    .from(clients)
    .where(eq(clients.id, response.clientId));
  const [workItem] = response.workItemId
    ? await ctx.db
        .select({
          id: workItems.id,
          kind: workItems.kind,
          externalId: workItems.externalId,
          reference: workItems.reference,
          summary: workItems.summary,
        })
        .from(workItems)
        .where(eq(workItems.id, response.workItemId))
    : [];
  return {
    response: {
      id: response.id,
      surveyId: response.surveyId,
      invitationId: response.invitationId,
      contactId: response.contactId,
      scale: response.scale,
      score: response.score,
      comment: response.comment,
      state: response.state,
      source: response.source,
      respondedAt: response.respondedAt.toISOString(),
    },
    client: client ?? null,
    workItem: workItem ?? null,
    url: `${ctx.config.PUBLIC_BASE_URL}${path}`,
  };
}
