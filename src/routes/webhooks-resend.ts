import { createRoute, z } from "@hono/zod-openapi";
import { applyResendEvent, ResendEvent } from "../delivery/resend-events.ts";
import { signatureProblem } from "../delivery/webhook-signature.ts";
import { createRouter, serviceContext } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { errorResponses, jsonContent } from "../http/openapi.ts";

const receive = createRoute({
  method: "post",
  path: "/v1/webhooks/resend",
  tags: ["Delivery"],
  summary: "Resend email events (delivered, opened, bounced, complained)",
  description: `Point a Resend webhook here. Each delivery must carry a valid Standard Webhooks
signature (\`svix-id\`, \`svix-timestamp\` within 5 minutes, \`svix-signature\`) made with
\`RESEND_WEBHOOK_SECRET\`; otherwise 401 and nothing is recorded. A permanent bounce or a complaint
stops all later surveys to that contact, unless the event's \`to\` names recipients that do not
include the contact's current address (an address since corrected). Events about emails rapport
did not send are acknowledged and ignored. A delivery repeated under the same \`svix-id\` (Resend's
retries) is acknowledged and recorded once. Without \`RESEND_WEBHOOK_SECRET\` the endpoint
answers 503.`,
  responses: {
    200: jsonContent(
      z.object({ outcome: z.enum(["recorded", "unknown_email", "ignored"]) }),
      "The event was verified; `outcome` says whether it changed anything.",
    ),
    ...errorResponses(401),
  },
});

export const resendWebhookRoutes = createRouter().openapi(receive, async (c) => {
  const ctx = serviceContext(c.get("services"));
  const secret = ctx.config.RESEND_WEBHOOK_SECRET;
  if (!secret) {
    throw new ApiError(
      "unavailable",
      "Resend webhooks are not enabled on this instance: set RESEND_WEBHOOK_SECRET.",
    );
  }
  // The signature covers the raw bytes: read them before any parsing.
  const body = await c.req.text();
  const deliveryId = c.req.header("svix-id");
  const problem = signatureProblem(
    secret,
    {
      id: deliveryId,
      timestamp: c.req.header("svix-timestamp"),
      signature: c.req.header("svix-signature"),
      body,
    },
    ctx.clock.now(),
  );
  if (problem) throw new ApiError("invalid_signature", problem);

  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new ApiError("malformed_json", "The request body is not valid JSON.");
  }
  const event = ResendEvent.safeParse(parsed);
  if (!event.success) {
    throw new ApiError("validation_failed", "Not a Resend event: it needs `type` and `data`.", {
      errors: event.error.issues.map((issue) => ({
        path: issue.path.map(String).join("."),
        message: issue.message,
        in: "body",
      })),
    });
  }
  const outcome = await applyResendEvent({
    ctx,
    input: { event: event.data, deliveryId: deliveryId ?? "" },
  });
  c.get("logFields").resendEvent = event.data.type;
  c.get("logFields").outcome = outcome;
  if (outcome === "unknown_email") {
    ctx.logger.info(
      { emailId: event.data.data?.email_id, type: event.data.type },
      "Resend event for an email rapport does not know; ignored",
    );
  }
  return c.json({ outcome }, 200);
});
