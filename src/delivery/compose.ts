import { and, asc, eq, inArray, min, ne } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { contacts, invitations, members, surveys, touches, workItems } from "../db/schema/index.ts";
import { formatFrom, loadBranding } from "../emails/branding.ts";
import { loadLocales, pickMessages } from "../emails/locale.ts";
import { renderSurveyEmail } from "../emails/render.ts";
import { appSecret } from "../security/app-secret.ts";
import { textFor } from "../surveys/texts.ts";
import { tokenFor } from "../surveys/tokens.ts";
import type { EmailKind, OutgoingEmail } from "./transport.ts";

/** The per-email idempotency key: one survey email and one reminder per invitation, ever. */
export function emailKey(kind: EmailKind, invitationId: string): string {
  return `${kind === "survey" ? "invitation" : "reminder"}/${invitationId}`;
}

/**
 * Renders the emails of a claimed batch, in the order of `invitationIds`. Rendering reads only
 * what a retry reads again (the token comes from the stored nonce), so a retried batch is the
 * same batch.
 */
export async function composeEmails({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { kind: EmailKind; invitationIds: string[] };
}): Promise<OutgoingEmail[]> {
  const rows = await ctx.db
    .select({
      id: invitations.id,
      tokenNonce: invitations.tokenNonce,
      scale: surveys.scale,
      questions: surveys.questions,
      email: contacts.email,
      contactName: contacts.name,
      locale: contacts.locale,
      workItemId: workItems.id,
      workItemKind: workItems.kind,
      workItemExternalId: workItems.externalId,
      workItemReference: workItems.reference,
      workItemSummary: workItems.summary,
    })
    .from(invitations)
    .innerJoin(surveys, eq(surveys.id, invitations.surveyId))
    .innerJoin(contacts, eq(contacts.id, invitations.contactId))
    .leftJoin(workItems, eq(workItems.id, invitations.workItemId))
    .where(inArray(invitations.id, input.invitationIds));
  const byId = new Map(rows.map((row) => [row.id, row]));
  const technicians = await techniciansOf(
    ctx,
    rows.flatMap((row) => (row.workItemId ? [row.workItemId] : [])),
  );
  const [branding, secret, locales] = await Promise.all([
    loadBranding({ ctx }),
    appSecret(ctx),
    loadLocales(),
  ]);

  return Promise.all(
    input.invitationIds.map(async (id) => {
      const row = byId.get(id);
      if (!row?.email) throw new Error(`invitation ${id} has no recipient address`);
      const rendered = await renderSurveyEmail({
        variant: input.kind,
        scale: row.scale,
        workItem:
          row.workItemKind && row.workItemExternalId !== null
            ? {
                kind: row.workItemKind,
                externalId: row.workItemExternalId,
                reference: row.workItemReference,
                summary: row.workItemSummary ?? "",
              }
            : null,
        contactName: row.contactName,
        locale: row.locale,
        technicians: (row.workItemId && technicians.get(row.workItemId)) || [],
        // The survey's question for the contact, else the template's own default question.
        question:
          textFor(row.questions, row.locale, pickMessages(locales, row.locale).lang) ?? null,
        baseUrl: ctx.config.PUBLIC_BASE_URL,
        token: tokenFor(secret, row.tokenNonce),
        branding,
      });
      return {
        invitationId: id,
        kind: input.kind,
        idempotencyKey: emailKey(input.kind, id),
        to: row.email,
        from: formatFrom(branding),
        replyTo: branding.replyTo,
        ...rendered,
      };
    }),
  );
}

/**
 * Names of the members who touched each work item, in the order they first touched it; members
 * the PSA never named are left out.
 */
async function techniciansOf(ctx: ServiceContext, workItemIds: string[]) {
  const names = new Map<string, string[]>();
  if (workItemIds.length === 0) return names;
  const firstTouch = min(touches.at);
  const rows = await ctx.db
    .select({ workItemId: touches.workItemId, name: members.name, first: firstTouch })
    .from(touches)
    .innerJoin(members, eq(members.id, touches.memberId))
    .where(
      and(
        inArray(touches.workItemId, [...new Set(workItemIds)]),
        // A member no event ever named carries their PSA login or id as their name: that is no
        // name to show a client.
        ne(members.name, members.externalId),
      ),
    )
    .groupBy(touches.workItemId, members.id, members.name)
    .orderBy(asc(firstTouch), asc(members.name));
  for (const row of rows) {
    const list = names.get(row.workItemId) ?? [];
    list.push(row.name);
    names.set(row.workItemId, list);
  }
  return names;
}
