/** POST /webhooks/bandwidth — every Bandwidth v1 voice event, HTTP Basic auth. */
import { awsIngressDeps } from '../lib/aws-ingress';
import { lazy } from '../lib/config';
import { createWebhookHandler } from '../lib/ingress';
import { bandwidthIngress } from '../lib/providers/bandwidth/ingress';

export const handler = createWebhookHandler(bandwidthIngress, lazy(awsIngressDeps));
