/** DynamoDB adapter for the calls table: every read is a GetItem, a Query or a batch of GetItems. */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
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
  PART_PREFIX,
  RECONCILE_SK,
  RECORD_SK,
  reconcilePk,
  recordDeliveryCount,
  recordToItem,
  SIDE_PREFIX,
  type StoredRecord,
} from './table';

export const createDynamoClient = (config: DynamoDBClientConfig = {}): DynamoDBClient =>
  new DynamoDBClient({ maxAttempts: 5, ...config });

/** A delivery to store; `side`: an event that cannot change the record, kept out of a rebuild's reads. */
export interface DeliveryWrite {
  delivery: Delivery;
  side?: boolean;
}

/** What a rebuild reads, in one strongly consistent Query: the record-event deliveries and the record. */
export interface CallSnapshot {
  deliveries: Delivery[];
  stored: StoredRecord | null;
  /** The deliveries the stored record was built from (0: none, or a record from before counts). */
  storedCount: number;
}

/** Condition of a record write: the stored record was built from fewer deliveries (replay: or as many). */
export interface RecordWrite {
  record: CallRecord;
  version: number;
  deliveryCount: number;
  replay?: boolean;
}

export interface CallStore {
  putDelivery(delivery: Delivery, options?: { side?: boolean }): Promise<void>;
  /**
   * Stores many deliveries: the parts of large bodies one at a time, then every head in
   * BatchWriteItem requests. One entry per write: undefined when stored, else the error.
   */
  putDeliveries(writes: readonly DeliveryWrite[]): Promise<(Error | undefined)[]>;
  /** Every delivery stored for the call, side events included. */
  loadDeliveries(provider: string, callId: string): Promise<Delivery[]>;
  loadCall(provider: string, callId: string): Promise<CallSnapshot>;
  /** Writes the record unless one built from at least as many deliveries is stored; false then. */
  putRecordIfNewer(write: RecordWrite): Promise<boolean>;
  /**
   * Records that the stored record, unchanged since it was read (`seen`), is also the record of
   * `deliveryCount` deliveries. False when it changed meanwhile.
   */
  markRecordCount(
    provider: string,
    callId: string,
    seen: { version: number; deliveryCount: number },
    deliveryCount: number,
  ): Promise<boolean>;
  /** A delivery that concerns no call (e.g. a conference event), by its delivery id. */
  loadOrphanDelivery(provider: string, deliveryId: string): Promise<Delivery | null>;
  getRecord(provider: string, callId: string): Promise<StoredRecord | null>;
  /** Writes the record only if its version is still `expectedVersion` (0: no record yet); false otherwise. */
  putRecord(record: CallRecord, expectedVersion: number): Promise<boolean>;
  /** One page of an index Query; the caller decides the index and conditions. */
  query(input: Omit<QueryCommandInput, 'TableName'>): Promise<{ items: Item[]; next?: Item }>;
  /** Full records for keys found in an index, in the order given. */
  getRecords(keys: readonly { pk: string }[]): Promise<StoredRecord[]>;
  // --- Reconciliation (lib/reconcile.ts, issue 20) ---
  /** Which of these calls of one provider have a record: BatchGetItem of keys only, 100 per request. */
  recordedCallIds(provider: string, callIds: readonly string[]): Promise<Set<string>>;
  /** The end of the provider's last completed reconcile window (item RECONCILE#<provider>), or null. */
  getReconcileMark(provider: string): Promise<Date | null>;
  /** Moves that mark forward to `until`; never back (a slow earlier run cannot undo a later one). */
  advanceReconcileMark(provider: string, until: Date): Promise<void>;
}

const UNPROCESSED_ATTEMPTS = 4;
/** Reads of a several-page partition before giving up (the message is retried by SQS). */
const MAX_READS = 5;
const itemKey = (item: Item) => `${item.pk?.S}\u0000${item.sk?.S}`;

/** A delivery BatchWriteItem kept handing back as unprocessed (throttling): retried by SQS redelivery. */
export class DeliveryWriteError extends Error {
  constructor(key: string) {
    super(
      `delivery ${key.replace('\u0000', ' ')} was not written (unprocessed after ${UNPROCESSED_ATTEMPTS} attempts)`,
    );
    this.name = 'DeliveryWriteError';
  }
}

export function buildCallStore(client: DynamoDBClient, tableName: string): CallStore {
  /** Heads (of the given prefixes) and their parts, from items of one partition read in sk order. */
  const assemble = (items: readonly Item[], prefixes: readonly string[]): Delivery[] => {
    const parts = new Map<string, Item[]>();
    for (const item of items) {
      const sk = item.sk?.S ?? '';
      if (!sk.startsWith(PART_PREFIX)) continue;
      const id = sk.slice(PART_PREFIX.length, sk.lastIndexOf('#'));
      parts.set(id, [...(parts.get(id) ?? []), item]);
    }
    return items
      .filter((item) => prefixes.some((prefix) => item.sk?.S?.startsWith(prefix)))
      .map((head) =>
        deliveryParts(head) === 0
          ? itemsToDelivery(head)
          : itemsToDelivery(head, parts.get(head.deliveryId?.S ?? '')),
      );
  };

  /**
   * Everything of one partition in a key range, as one consistent set. A single page is one read;
   * a result of several pages (large bodies) is read again until two reads agree on the keys, so a
   * delivery stored between pages is never half-seen.
   */
  const readRange = async (input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> => {
    let previous: string | undefined;
    for (let read = 1; ; read++) {
      let pages = 0;
      const items: Item[] = [];
      let start: Item | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            ...input,
            TableName: tableName,
            ExclusiveStartKey: start,
            ConsistentRead: true,
          }),
        );
        pages += 1;
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      if (pages === 1) return items;
      const keys = items.map((item) => item.sk?.S).join('\u0000');
      if (keys === previous) return items;
      if (read === MAX_READS) throw new Error(`partition kept changing over ${MAX_READS} reads`);
      previous = keys;
    }
  };

  const loadByPk = async (pk: string): Promise<Delivery[]> =>
    assemble(
      await readRange({
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: pk } },
      }),
      [DELIVERY_PREFIX, SIDE_PREFIX],
    );

  const putItem = (item: Item) => client.send(new PutItemCommand({ TableName: tableName, Item: item }));

  /** BatchWriteItem in requests of 25, unprocessed items asked again with backoff; what stayed unwritten. */
  const batchPut = async (items: readonly Item[]): Promise<Map<string, Error>> => {
    const failed = new Map<string, Error>();
    for (let i = 0; i < items.length; i += 25) {
      let pending = items.slice(i, i + 25);
      for (let attempt = 1; pending.length > 0; attempt++) {
        try {
          const { UnprocessedItems } = await client.send(
            new BatchWriteItemCommand({
              RequestItems: { [tableName]: pending.map((item) => ({ PutRequest: { Item: item } })) },
            }),
          );
          pending = (UnprocessedItems?.[tableName] ?? []).flatMap((r) =>
            r.PutRequest?.Item ? [r.PutRequest.Item] : [],
          );
        } catch (error) {
          for (const item of pending) failed.set(itemKey(item), error as Error);
          break;
        }
        if (pending.length === 0) break;
        if (attempt === UNPROCESSED_ATTEMPTS) {
          for (const item of pending) failed.set(itemKey(item), new DeliveryWriteError(itemKey(item)));
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
      }
    }
    return failed;
  };

  return {
    async putDelivery(delivery, options) {
      // Parts before head, one at a time: a head is only ever visible with its whole body stored.
      for (const item of deliveryToItems(delivery, options)) await putItem(item);
    },

    async putDeliveries(writes) {
      const results: (Error | undefined)[] = writes.map(() => undefined);
      const heads = new Map<string, number[]>();
      const headItems: Item[] = [];
      // Parts first (sequentially, per delivery), so no head is written before its whole body.
      await Promise.all(
        writes.map(async ({ delivery, side }, index) => {
          let head: Item;
          try {
            const items = deliveryToItems(delivery, { side });
            head = items.at(-1) as Item;
            for (const part of items.slice(0, -1)) await putItem(part);
          } catch (error) {
            results[index] = error as Error;
            return;
          }
          const key = itemKey(head);
          // The same delivery twice in one batch (SQS redelivery): one put, both answered by it.
          if (!heads.has(key)) headItems.push(head);
          heads.set(key, [...(heads.get(key) ?? []), index]);
        }),
      );
      for (const [key, error] of await batchPut(headItems))
        for (const index of heads.get(key) ?? []) results[index] = error;
      return results;
    },

    async loadDeliveries(provider, callId) {
      return loadByPk(callPk(provider, callId));
    },

    async loadCall(provider, callId) {
      const items = await readRange({
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :record',
        ExpressionAttributeValues: {
          ':pk': { S: callPk(provider, callId) },
          ':first': { S: DELIVERY_PREFIX },
          ':record': { S: RECORD_SK },
        },
      });
      const record = items.find((item) => item.sk?.S === RECORD_SK);
      return {
        deliveries: assemble(items, [DELIVERY_PREFIX]),
        stored: record ? itemToRecord(record) : null,
        storedCount: record ? recordDeliveryCount(record) : 0,
      };
    },

    async putRecordIfNewer({ record, version, deliveryCount, replay = false }) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: recordToItem(record, version, deliveryCount),
            ConditionExpression: `attribute_not_exists(deliveryCount) OR deliveryCount ${replay ? '<=' : '<'} :n`,
            ExpressionAttributeValues: { ':n': { N: String(deliveryCount) } },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async markRecordCount(provider, callId, seen, deliveryCount) {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: { S: callPk(provider, callId) }, sk: { S: RECORD_SK } },
            UpdateExpression: 'SET deliveryCount = :n',
            ConditionExpression:
              seen.deliveryCount === 0
                ? 'version = :v AND attribute_not_exists(deliveryCount)'
                : 'version = :v AND deliveryCount = :seen',
            ExpressionAttributeValues: {
              ':n': { N: String(deliveryCount) },
              ':v': { N: String(seen.version) },
              ...(seen.deliveryCount !== 0 && { ':seen': { N: String(seen.deliveryCount) } }),
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
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

    async recordedCallIds(provider, callIds) {
      const found = new Set<string>();
      const byPk = new Map(callIds.map((id) => [callPk(provider, id), id]));
      const unique = [...byPk.keys()];
      for (let i = 0; i < unique.length; i += 100) {
        let request: Record<string, { Keys: Item[]; ProjectionExpression: string }> | undefined = {
          [tableName]: {
            Keys: unique.slice(i, i + 100).map((pk) => ({ pk: { S: pk }, sk: { S: RECORD_SK } })),
            // Keys only: an existence check reads no transcript (0.5 RCU per item, eventually consistent).
            ProjectionExpression: 'pk',
          },
        };
        for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
          if (attempt > 0)
            await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
          const page = await client.send(new BatchGetItemCommand({ RequestItems: request }));
          for (const item of page.Responses?.[tableName] ?? []) {
            const id = byPk.get(item.pk?.S ?? '');
            if (id !== undefined) found.add(id);
          }
          request = page.UnprocessedKeys as typeof request;
        }
      }
      return found;
    },

    async getReconcileMark(provider) {
      const { Item } = await client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { pk: { S: reconcilePk(provider) }, sk: { S: RECONCILE_SK } },
          ConsistentRead: true,
        }),
      );
      const until = Item?.completedUntil?.S;
      return until === undefined || Number.isNaN(Date.parse(until)) ? null : new Date(until);
    },

    async advanceReconcileMark(provider, until) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: { S: reconcilePk(provider) },
              sk: { S: RECONCILE_SK },
              completedUntil: { S: until.toISOString() },
            },
            ConditionExpression: 'attribute_not_exists(completedUntil) OR completedUntil < :until',
            ExpressionAttributeValues: { ':until': { S: until.toISOString() } },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
  };
}
