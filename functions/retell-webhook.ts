/** POST /webhooks/retell — Retell AI call_started, call_ended, call_analyzed (signed). */
import { awsIngressDeps } from '../lib/aws-ingress';
import { lazy } from '../lib/config';
import { createWebhookHandler } from '../lib/ingress';
import { withObservability } from '../lib/observe';
import { retellIngress } from '../lib/providers/retell/ingress';

/** The local stack serves this route with the same provider (lib/local/routes.ts). */
export const provider = retellIngress;
export const handler = withObservability(createWebhookHandler(retellIngress, lazy(awsIngressDeps)));
