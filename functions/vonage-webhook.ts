/** POST /webhooks/vonage — Vonage Voice API events (signed webhooks, HS256 JWT). */
import { awsIngressDeps } from '../lib/aws-ingress';
import { lazy } from '../lib/config';
import { createWebhookHandler } from '../lib/ingress';
import { withObservability } from '../lib/observe';
import { vonageIngress } from '../lib/providers/vonage/ingress';

/** The local stack serves this route with the same provider (lib/local/routes.ts). */
export const provider = vonageIngress;
export const handler = withObservability(createWebhookHandler(vonageIngress, lazy(awsIngressDeps)));
