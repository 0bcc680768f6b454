/** DynamoDB adapter for the calls table: every read is a GetItem, a Query or a batch of GetItems. */
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { Delivery } from './envelope';
import type { CallRecord } from './record';
import {
  callPk,
  DELIVERY_PREFIX,
  deliveryParts,
  deliveryPk,
  deliveryToItems,
  type Item,
  itemsToDelivery,
  itemToRecord,
  partPrefix,
  RECORD_SK,
  recordToItem,
  type StoredRecord,
} from './table';

export const createDynamoClient = (config: DynamoDBClientConfig = {}): DynamoDBClient =>
  new DynamoDBClient({ maxAttempts: 5, ...config });

export interface CallStore {
  putDelivery(delivery: Delivery): Promise<void>;
  loadDeliveries(provider: string, callId: string): Promise<Delivery[]>;
  /** A delivery that concerns no call (e.g. a conference event), by its delivery id. */
  loadOrphanDelivery(provider: string, deliveryId: string): Promise<Delivery | null>;
  getRecord(provider: string, callId: string): Promise<StoredRecord | null>;
  /** Writes the record only if its version is still `expectedVersion` (0: no record yet); false otherwise. */
  putRecord(record: CallRecord, expectedVersion: number): Promise<boolean>;
  /** One page of an index Query; the caller decides the index and conditions. */
  query(input: Omit<QueryCommandInput, 'TableName'>): Promise<{ items: Item[]; next?: Item }>;
  /** Full records for keys found in an index, in the order given. */
  getRecords(keys: readonly { pk: string }[]): Promise<StoredRecord[]>;
}

export function buildCallStore(client: DynamoDBClient, tableName: string): CallStore {
  const queryAll = async (input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> => {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await client.send(
        new QueryCommand({ ...input, TableName: tableName, ExclusiveStartKey: start }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };

  const loadByPk = async (pk: string): Promise<Delivery[]> => {
    const heads = await queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': { S: pk }, ':prefix': { S: DELIVERY_PREFIX } },
      ConsistentRead: true,
    });
    return Promise.all(
      heads.map(async (head) => {
        if (deliveryParts(head) === 0) return itemsToDelivery(head);
        const parts = await queryAll({
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: {
            ':pk': { S: pk },
            ':prefix': { S: partPrefix(head.deliveryId?.S ?? '') },
          },
          ConsistentRead: true,
        });
        return itemsToDelivery(head, parts);
      }),
    );
  };

  return {
    async putDelivery(delivery) {
      // Parts before head, one at a time: a head is only ever visible with its whole body stored.
      for (const item of deliveryToItems(delivery)) {
        await client.send(new PutItemCommand({ TableName: tableName, Item: item }));
      }
    },

    async loadDeliveries(provider, callId) {
      return loadByPk(callPk(provider, callId));
    },

    async loadOrphanDelivery(provider, deliveryId) {
      const [delivery] = await loadByPk(deliveryPk({ provider, deliveryId, callId: null }));
      return delivery ?? null;
    },

    async getRecord(provider, callId) {
      const { Item } = await client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { pk: { S: callPk(provider, callId) }, sk: { S: RECORD_SK } },
          ConsistentRead: true,
        }),
      );
      return Item ? itemToRecord(Item) : null;
    },

    async putRecord(record, expectedVersion) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: recordToItem(record, expectedVersion + 1),
            ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :expected',
            ExpressionAttributeValues:
              expectedVersion === 0 ? undefined : { ':expected': { N: String(expectedVersion) } },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async query(input) {
      const page = await client.send(new QueryCommand({ ...input, TableName: tableName }));
      return { items: page.Items ?? [], next: page.LastEvaluatedKey };
    },

    async getRecords(keys) {
      const found = new Map<string, StoredRecord>();
      const unique = [...new Set(keys.map((key) => key.pk))];
      for (let i = 0; i < unique.length; i += 100) {
        let request: Record<string, { Keys: Item[] }> | undefined = {
          [tableName]: {
            Keys: unique.slice(i, i + 100).map((pk) => ({ pk: { S: pk }, sk: { S: RECORD_SK } })),
          },
        };
        // BatchGetItem may return part of the keys as unprocessed under load; ask again for those.
        for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
          if (attempt > 0)
            await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
          const page = await client.send(new BatchGetItemCommand({ RequestItems: request }));
          for (const item of page.Responses?.[tableName] ?? [])
            found.set(item.pk?.S ?? '', itemToRecord(item));
          request = page.UnprocessedKeys as typeof request;
        }
      }
      return keys.flatMap((key) => found.get(key.pk) ?? []);
    },
  };
}
