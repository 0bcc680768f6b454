/**
 * The deployed webhook functions' wiring: clients and configuration built once per cold start from
 * the environment serverless.yml sets. Kept apart from the consumer's wiring so the ingress bundle
 * carries no DynamoDB or normalization code.
 */
import { requireEnv } from './config';
import type { IngressDeps } from './ingress';
import { logger } from './log';
import { observeIngress } from './observe';
import { buildEnqueue, createSqsClient } from './queue';
import { ssmSecretSource } from './secrets';

export function awsIngressDeps(): IngressDeps {
  return {
    secrets: ssmSecretSource(requireEnv('WEBHOOK_SECRETS_PARAMETER'), {
      maxAgeSeconds: Number(process.env.SECRETS_MAX_AGE_SECONDS) || 300,
      warn: (message) => logger.warn(message),
    }),
    enqueue: buildEnqueue(createSqsClient(), requireEnv('QUEUE_URL')),
    observe: (outcome) => observeIngress(outcome),
    publicBaseUrl: process.env.PUBLIC_BASE_URL || undefined,
    settings: process.env,
  };
}
