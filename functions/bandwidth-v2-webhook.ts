/** POST /webhooks/bandwidth-v2 — Bandwidth Voice API v2 callbacks (HTTP Basic, challenge first). */
import { awsIngressDeps } from '../lib/aws-ingress';
import { lazy } from '../lib/config';
import { createWebhookHandler } from '../lib/ingress';
import { withObservability } from '../lib/observe';
import { bandwidthV2Ingress } from '../lib/providers/bandwidth-v2/ingress';

/** The local stack serves this route with the same provider (lib/local/routes.ts). */
export const provider = bandwidthV2Ingress;
export const handler = withObservability(createWebhookHandler(bandwidthV2Ingress, lazy(awsIngressDeps)));
