/** The deployed consumer's wiring: DynamoDB client, table and normalizers, built once per cold start. */
import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { requireEnv } from './config';
import type { ConsumerDeps } from './consumer';
import { observeConsumer } from './observe';
import { normalizers } from './providers/registry';
import { buildCallStore, createDynamoClient } from './store';

/**
 * Bounded so a stalled DynamoDB connection fails its own message, not the batch: a connection that
 * cannot open in 1 s or a request silent for 2 s is abandoned (throwOnRequestTimeout: without it
 * Smithy only warns and keeps waiting) and retried on a fresh socket, 3 attempts in all — at most
 * ≈ 6.5 s per request, so even a message whose every request stalls fails inside the consumer's
 * 30 s timeout while its batch-mates finish. A slow but live large PutItem is not cut: the request
 * timeout counts silence, not total time.
 */
export const CONSUMER_DYNAMO_CLIENT: DynamoDBClientConfig = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
};

export const createConsumerDynamoClient = (config: DynamoDBClientConfig = {}): DynamoDBClient =>
  createDynamoClient({ ...CONSUMER_DYNAMO_CLIENT, ...config });

export function awsConsumerDeps(): ConsumerDeps {
  return {
    store: buildCallStore(createConsumerDynamoClient(), requireEnv('TABLE_NAME')),
    normalizers,
    observe: (outcome) => observeConsumer(outcome),
  };
}
