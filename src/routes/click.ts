import type { Context } from "hono";
import { pageBranding } from "../emails/branding.ts";
import { type AppEnv, createRouter, serviceContext } from "../http/env.ts";
import { pageMessages } from "../pages/messages.ts";
import {
  clientIpHash,
  publicPageGuard,
  sendLinkMessage,
  sendMessage,
} from "../pages/public-guard.ts";
import { sendPage, sendShapedPage } from "../pages/send-page.ts";
import { ThankYouPage } from "../pages/thank-you.tsx";
import type { ClickTarget } from "../responses/click-statements.ts";
import { formToken, isSameSitePost, isValidFormToken } from "../responses/form-token.ts";
import { COMMENT_MAX_LENGTH, commentText, postComment } from "../responses/post-comment.ts";
import { recordClick } from "../responses/record-click.ts";
import { type ClickEvidence, isLookAhead } from "../responses/request-evidence.ts";
import { isUnhappy, parseScore, scoresOf } from "../responses/scale.ts";
import { appSecret } from "../security/app-secret.ts";
import { textFor } from "../surveys/texts.ts";

type PageContext = Context<AppEnv>;

const notFound = (c: PageContext) =>
  sendMessage(c, 404, (m) => ({ title: m.notFoundTitle, body: m.notFoundBody }));

const expired = (c: PageContext, target: ClickTarget) =>
  sendMessage(c, 410, (m) => ({ title: m.expiredTitle, body: m.expiredBody }), {
    contactLocale: target.contact.locale,
  });

const invalidScore = (c: PageContext, target: ClickTarget) =>
  sendMessage(c, 400, (m) => ({ title: m.invalidScoreTitle, body: m.invalidScoreBody }), {
    contactLocale: target.contact.locale,
  });

async function thankYou(
  c: PageContext,
  token: string,
  view: {
    target: ClickTarget;
    score: number;
    final: boolean;
    comment: string | null;
    /** False when the link did not record the answer shown: the page asks to confirm it. */
    confirmed: boolean;
  },
  commentSaved: boolean,
) {
  const { survey, contact, invitation } = view.target;
  const services = c.get("services");
  const messages = pageMessages(contact.locale, c.req.header("accept-language"));
  const [branding, secret] = await Promise.all([
    pageBranding({ ctx: { db: services.database.db } }),
    appSecret({ db: services.database.db, config: services.config }),
  ]);
  const closed = invitation.status === "cancelled" || invitation.expiresAt <= services.clock.now();
  const followUpQuestion = isUnhappy(survey.scale, view.score)
    ? textFor(survey.followUpQuestions, contact.locale, messages.lang)
    : undefined;
  const page = (pageFormToken: string) =>
    ThankYouPage({
      branding,
      messages,
      scale: survey.scale,
      scores: scoresOf(survey.scale),
      score: view.score,
      final: view.final,
      followUpQuestion,
      comment: view.comment,
      commentSaved,
      formToken: pageFormToken,
      commentMaxLength: COMMENT_MAX_LENGTH,
      closed,
      unconfirmed: !view.confirmed,
    });
  const commentFormToken = formToken(secret, "comment", token);
  // A page with a comment is the rare one: it is rendered whole, the rest by shape.
  if (view.comment) return sendPage(c, 200, () => page(commentFormToken));
  return sendShapedPage(c, 200, {
    owner: branding,
    key: [
      messages.lang,
      survey.scale,
      view.score,
      view.final,
      closed,
      commentSaved,
      view.confirmed,
      followUpQuestion ?? "",
    ].join("\n"),
    values: [commentFormToken],
    build: ([pageFormToken]) => page(pageFormToken!),
  });
}

/** What a click or comment keeps of its request for audit: agent, languages, address hash. */
async function evidenceOf(c: PageContext): Promise<ClickEvidence> {
  return {
    userAgent: c.req.header("user-agent")?.slice(0, 500) ?? null,
    acceptLanguage: c.req.header("accept-language")?.slice(0, 200) ?? null,
    ipHash: await clientIpHash(c),
  };
}

/** Browsers mark a navigation from our own page; scanners fetching email links cannot. */
function isFromOwnPage(header: (name: string) => string | undefined, token: string): boolean {
  if (header("sec-fetch-site") !== "same-origin") return false;
  try {
    return new URL(header("referer") ?? "").pathname.startsWith(`/r/${token}/`);
  } catch {
    return false;
  }
}

/** Score links from survey emails and the comment form of the page they open. */
export const clickRoutes = createRouter();
clickRoutes.use("/r/*", publicPageGuard());

clickRoutes.post("/r/:token/comment", async (c) => {
  const token = c.req.param("token");
  const services = c.get("services");
  const secret = await appSecret({ db: services.database.db, config: services.config });
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  const origins = [new URL(services.config.PUBLIC_BASE_URL).origin, new URL(c.req.url).origin];
  if (
    !isSameSitePost((name) => c.req.header(name), origins) ||
    !isValidFormToken(secret, "comment", token, form.csrf)
  ) {
    return sendLinkMessage(c, token, 403, (m) => ({
      title: m.forbiddenTitle,
      body: m.forbiddenBody,
    }));
  }
  const comment = typeof form.comment === "string" ? commentText(form.comment) : "";
  if (comment.length > COMMENT_MAX_LENGTH) {
    return sendLinkMessage(c, token, 400, (m) => ({
      title: m.tooLongTitle,
      body: m.tooLongBody(COMMENT_MAX_LENGTH),
    }));
  }
  // A NUL cannot be typed, and PostgreSQL cannot store it in text.
  if (comment.includes("\u0000")) {
    return sendLinkMessage(c, token, 400, (m) => ({
      title: m.unreadableTitle,
      body: m.unreadableBody,
    }));
  }
  const score = parseScore(typeof form.score === "string" ? form.score : "");
  if (score === undefined) {
    return sendLinkMessage(c, token, 400, (m) => ({
      title: m.invalidScoreTitle,
      body: m.invalidScoreBody,
    }));
  }
  const outcome = await postComment({
    ctx: serviceContext(services),
    input: { token, score, comment, evidence: await evidenceOf(c) },
  });
  if (outcome.kind === "unknown") return notFound(c);
  if (outcome.kind === "expired") return expired(c, outcome.target);
  if (outcome.kind === "invalid_score") return invalidScore(c, outcome.target);
  // Sending the form without a comment confirms the answer; only a comment is "saved".
  return thankYou(
    c,
    token,
    { ...outcome, comment: outcome.comment || null, confirmed: true },
    comment.trim() !== "",
  );
});

clickRoutes.get("/r/:token/:score", async (c) => {
  const token = c.req.param("token");
  const score = parseScore(c.req.param("score"));
  const header = (name: string) => c.req.header(name);
  const lookAhead = isLookAhead(c.req.method, header);
  const outcome = await recordClick({
    ctx: serviceContext(c.get("services")),
    input: {
      token,
      // Out-of-range numbers are refused by the scale check after the token is known.
      score: score ?? -1,
      lookAhead,
      fromPage: isFromOwnPage(header, token),
      evidence: await evidenceOf(c),
    },
  });
  if (outcome.kind === "unknown") return notFound(c);
  if (outcome.kind === "expired") return expired(c, outcome.target);
  if (outcome.kind === "invalid_score") return invalidScore(c, outcome.target);
  // The page renders after the transaction has committed and given its connection back.
  return thankYou(c, token, { ...outcome.view, target: outcome.view }, false);
});

clickRoutes.all("/r/*", (c) => notFound(c));
