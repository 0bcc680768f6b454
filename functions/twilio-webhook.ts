/** POST /webhooks/twilio — Twilio Voice status callbacks (form; JSON with bodySHA256). */
import { awsIngressDeps } from '../lib/aws-ingress';
import { lazy } from '../lib/config';
import { createWebhookHandler } from '../lib/ingress';
import { withObservability } from '../lib/observe';
import { twilioIngress } from '../lib/providers/twilio/ingress';

/** The local stack serves this route with the same provider (lib/local/routes.ts). */
export const provider = twilioIngress;
export const handler = withObservability(createWebhookHandler(twilioIngress, lazy(awsIngressDeps)));
