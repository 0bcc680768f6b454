/** POST /webhooks/callkaro/{token} — CallKaro call_ended (account- and agent-level webhooks). */
import { awsIngressDeps } from '../lib/aws-ingress';
import { lazy } from '../lib/config';
import { createWebhookHandler } from '../lib/ingress';
import { withObservability } from '../lib/observe';
import { callkaroIngress } from '../lib/providers/callkaro/ingress';

/** The local stack serves this route with the same provider (lib/local/routes.ts). */
export const provider = callkaroIngress;
export const handler = withObservability(createWebhookHandler(callkaroIngress, lazy(awsIngressDeps)));
