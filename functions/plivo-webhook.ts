/** POST /webhooks/plivo — Plivo hangup_url callbacks (form). */
import { awsIngressDeps } from '../lib/aws-ingress';
import { lazy } from '../lib/config';
import { createWebhookHandler } from '../lib/ingress';
import { withObservability } from '../lib/observe';
import { plivoIngress } from '../lib/providers/plivo/ingress';

/** The local stack serves this route with the same provider (lib/local/routes.ts). */
export const provider = plivoIngress;
export const handler = withObservability(createWebhookHandler(plivoIngress, lazy(awsIngressDeps)));
