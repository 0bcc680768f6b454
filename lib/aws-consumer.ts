/** The deployed consumer's wiring: DynamoDB client, table and normalizers, built once per cold start. */
import { requireEnv } from './config';
import type { ConsumerDeps } from './consumer';
import { logger } from './log';
import { normalizers } from './providers/registry';
import { buildCallStore, createDynamoClient } from './store';

export function awsConsumerDeps(): ConsumerDeps {
  return {
    store: buildCallStore(createDynamoClient(), requireEnv('TABLE_NAME')),
    normalizers,
    observe: ({ error, delivery, change, messageId }) => {
      const fields = {
        messageId,
        deliveryId: delivery?.deliveryId,
        provider: delivery?.provider,
        callId: delivery?.callId,
        change,
      };
      if (error) logger.error('delivery processing failed', { ...fields, error: error as Error });
      else logger.info('delivery processed', fields);
    },
  };
}
