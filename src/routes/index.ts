import { apiKeyRoutes } from "./api-keys.ts";
import { brandingRoutes } from "./branding.ts";
import { clickRoutes } from "./click.ts";
import { dashboardRoutes } from "./dashboard.ts";
import { deadLetterRoutes } from "./dead-letters.ts";
import { directoryRoutes } from "./directory.ts";
import { eventRoutes } from "./events.ts";
import { followupRoutes } from "./followups.ts";
import { goalRoutes } from "./goals.ts";
import { healthRoutes } from "./health.ts";
import { integrationRoutes } from "./integrations.ts";
import { invitationRoutes } from "./invitations.ts";
import { metricRoutes } from "./metrics.ts";
import { outboxRoutes } from "./outbox.ts";
import { pageAssetRoutes } from "./page-assets.ts";
import { responseRoutes } from "./responses.ts";
import { responsesFeedRoutes } from "./responses-feed.ts";
import { surveyRoutes } from "./surveys.ts";
import { unsubscribeRoutes } from "./unsubscribe.ts";
import { webhookDeliveryRoutes } from "./webhook-deliveries.ts";
import { webhookSubscriptionRoutes } from "./webhook-subscriptions.ts";
import { psaWebhookRoutes } from "./webhooks-psa.ts";
import { resendWebhookRoutes } from "./webhooks-resend.ts";

/** Every router, mounted at the root by `createApp`. */
export const routers = [
  metricRoutes,
  responsesFeedRoutes,
  healthRoutes,
  apiKeyRoutes,
  eventRoutes,
  surveyRoutes,
  directoryRoutes,
  goalRoutes,
  dashboardRoutes,
  brandingRoutes,
  clickRoutes,
  pageAssetRoutes,
  unsubscribeRoutes,
  responseRoutes,
  invitationRoutes,
  followupRoutes,
  webhookSubscriptionRoutes,
  webhookDeliveryRoutes,
  integrationRoutes,
  psaWebhookRoutes,
  deadLetterRoutes,
  outboxRoutes,
  resendWebhookRoutes,
];
