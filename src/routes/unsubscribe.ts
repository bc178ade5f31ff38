import { loadBranding } from "../emails/branding.ts";
import { createRouter, serviceContext } from "../http/env.ts";
import { pageMessages } from "../pages/messages.ts";
import { publicPageGuard, sendLinkMessage, sendMessage } from "../pages/public-guard.ts";
import { sendPage } from "../pages/send-page.ts";
import { UnsubscribePage } from "../pages/unsubscribe-page.tsx";
import { formToken, isSameSitePost, isValidFormToken } from "../responses/form-token.ts";
import { findByToken } from "../responses/invitation-access.ts";
import { unsubscribe } from "../responses/unsubscribe.ts";
import { appSecret } from "../security/app-secret.ts";

/** `/u/{token}`: the confirm page, its button, and RFC 8058 one-click posts from mail clients. */
export const unsubscribeRoutes = createRouter();
unsubscribeRoutes.use("/u/*", publicPageGuard());

unsubscribeRoutes.get("/u/:token", async (c) => {
  const token = c.req.param("token");
  const services = c.get("services");
  const target = await findByToken(services.database.db, token);
  if (!target) {
    return sendMessage(c, 404, (m) => ({ title: m.notFoundTitle, body: m.notFoundBody }));
  }
  const messages = pageMessages(target.contact.locale, c.req.header("accept-language"));
  const [branding, secret] = await Promise.all([
    loadBranding({ ctx: { db: services.database.db } }),
    appSecret({ db: services.database.db, config: services.config }),
  ]);
  return sendPage(c, 200, () =>
    UnsubscribePage({
      branding,
      messages,
      token,
      formToken: formToken(secret, "unsubscribe", token),
      done: target.contact.optedOutAt !== null,
    }),
  );
});

unsubscribeRoutes.post("/u/:token", async (c) => {
  const token = c.req.param("token");
  const services = c.get("services");
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  // RFC 8058: the mail client posts exactly this body, with no page and no form token.
  const oneClick = form["List-Unsubscribe"] === "One-Click";
  if (!oneClick) {
    const secret = await appSecret({ db: services.database.db, config: services.config });
    const origins = [new URL(services.config.PUBLIC_BASE_URL).origin, new URL(c.req.url).origin];
    if (
      !isSameSitePost((name) => c.req.header(name), origins) ||
      !isValidFormToken(secret, "unsubscribe", token, form.csrf)
    ) {
      return sendLinkMessage(c, token, 403, (m) => ({
        title: m.forbiddenTitle,
        body: m.forbiddenBody,
      }));
    }
  }
  const target = await unsubscribe({
    ctx: serviceContext(services),
    input: { token, via: oneClick ? "one-click" : "page" },
  });
  if (!target) {
    return sendMessage(c, 404, (m) => ({ title: m.notFoundTitle, body: m.notFoundBody }));
  }
  return sendMessage(
    c,
    200,
    (m) => ({ title: m.unsubscribedTitle, body: m.unsubscribedBody, hint: m.backHint }),
    { contactLocale: target.contact.locale },
  );
});

unsubscribeRoutes.all("/u/*", (c) =>
  sendMessage(c, 404, (m) => ({ title: m.notFoundTitle, body: m.notFoundBody })),
);
