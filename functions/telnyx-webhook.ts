/** POST /webhooks/telnyx — Telnyx Call Control events and TeXML callbacks (Ed25519-signed). */
import { awsIngressDeps } from '../lib/aws-ingress';
import { lazy } from '../lib/config';
import { createWebhookHandler } from '../lib/ingress';
import { withObservability } from '../lib/observe';
import { telnyxIngress } from '../lib/providers/telnyx/ingress';

/** The local stack serves this route with the same provider (lib/local/routes.ts). */
export const provider = telnyxIngress;
export const handler = withObservability(createWebhookHandler(telnyxIngress, lazy(awsIngressDeps)));
