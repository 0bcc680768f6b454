/** POST /webhooks/bandwidth — every Bandwidth v1 voice event, HTTP Basic auth. */
import { awsIngressDeps } from '../lib/aws-ingress';
import { lazy } from '../lib/config';
import { createWebhookHandler } from '../lib/ingress';
import { withObservability } from '../lib/observe';
import { bandwidthIngress } from '../lib/providers/bandwidth/ingress';

/** The local stack serves this route with the same provider (lib/local/routes.ts). */
export const provider = bandwidthIngress;
export const handler = withObservability(createWebhookHandler(bandwidthIngress, lazy(awsIngressDeps)));
