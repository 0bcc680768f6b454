/** POST /webhooks/callkaro/{token} — CallKaro call_ended (account- and agent-level webhooks). */
import { awsIngressDeps } from '../lib/aws-ingress';
import { lazy } from '../lib/config';
import { createWebhookHandler } from '../lib/ingress';
import { callkaroIngress } from '../lib/providers/callkaro/ingress';

export const handler = createWebhookHandler(callkaroIngress, lazy(awsIngressDeps));
