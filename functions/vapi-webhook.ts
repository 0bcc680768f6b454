/** POST /webhooks/vapi — Vapi server messages (end-of-call-report and the rest), authenticated per stage. */
import { awsIngressDeps } from '../lib/aws-ingress';
import { lazy } from '../lib/config';
import { createWebhookHandler } from '../lib/ingress';
import { withObservability } from '../lib/observe';
import { vapiAuthSettings, vapiIngress } from '../lib/providers/vapi/ingress';

// Bad vapi* stage params fail the cold start with a one-line error, never a check that passes everything.
vapiAuthSettings(process.env);

/** The local stack serves this route with the same provider (lib/local/routes.ts). */
export const provider = vapiIngress;
export const handler = withObservability(createWebhookHandler(vapiIngress, lazy(awsIngressDeps)));
