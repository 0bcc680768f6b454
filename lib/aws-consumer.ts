/** The deployed consumer's wiring: DynamoDB client, table and normalizers, built once per cold start. */
import { requireEnv } from './config';
import type { ConsumerDeps } from './consumer';
import { observeConsumer } from './observe';
import { normalizers } from './providers/registry';
import { buildCallStore, createDynamoClient } from './store';

export function awsConsumerDeps(): ConsumerDeps {
  return {
    store: buildCallStore(createDynamoClient(), requireEnv('TABLE_NAME')),
    normalizers,
    observe: (outcome) => observeConsumer(outcome),
  };
}
