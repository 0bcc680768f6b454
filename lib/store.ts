/** DynamoDB adapter for the calls table: every read is a GetItem, a Query or a batch of GetItems. */
import {
  type AttributeValue,
  BatchGetItemCommand,
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
  signatureKey,
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

/** undefined: stored; 'duplicate': the same bytes were stored by an earlier arrival; else the error. */
export type DeliveryWriteResult = Error | 'duplicate' | undefined;

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
   * Stores many deliveries, each at most once (spec §4): the parts of a large body first, then its
   * head on the condition that no other arrival of the same bytes is stored (its receivedAt stays).
   * One entry per write: undefined when stored (or already stored by this very message: an SQS
   * redelivery), 'duplicate' when another arrival of the same bytes is stored, else the error.
   */
  putDeliveries(writes: readonly DeliveryWrite[]): Promise<DeliveryWriteResult[]>;
  /**
   * Binds a signature (digest) to the one delivery it vouched for (issue 18): true when it is free
   * or already bound to `deliveryId`, false when it vouched for another body before.
   */
  claimSignature(provider: string, signature: string, deliveryId: string): Promise<boolean>;
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
  /**
   * Full records for keys found in an index, in the order given. A record that cannot be read back
   * is left out and told to `onUnreadable` when given (else the error is thrown).
   */
  getRecords(
    keys: readonly { pk: string }[],
    onUnreadable?: (pk: string, error: Error) => void,
  ): Promise<StoredRecord[]>;
  // --- Reconciliation (lib/reconcile.ts, issue 20) ---
  /** Which of these calls of one provider have a record: BatchGetItem of keys only, 100 per request. */
  recordedCallIds(provider: string, callIds: readonly string[]): Promise<Set<string>>;
  /** The end of the provider's last completed reconcile window (item RECONCILE#<provider>), or null. */
  getReconcileMark(provider: string): Promise<Date | null>;
  /** Moves that mark forward to `until`; never back (a slow earlier run cannot undo a later one). */
  advanceReconcileMark(provider: string, until: Date): Promise<void>;
}

/** Reads of a several-page partition before giving up (the message is retried by SQS). */
const MAX_READS = 5;
const itemKey = (item: Item) => `${item.pk?.S}\u0000${item.sk?.S}`;

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

  /** The same arrival: what SQS redelivers is this very envelope (receivedAt and requestId alike). */
  const sameArrival = (
    a: Pick<Delivery, 'receivedAt' | 'requestId'>,
    b: Pick<Delivery, 'receivedAt' | 'requestId'>,
  ) => a.receivedAt === b.receivedAt && a.requestId === b.requestId;

  /** The arrival a stored head holds, or null when there is none (strongly consistent, small projection). */
  const storedArrival = async (head: Item) => {
    const { Item: found } = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: head.pk as AttributeValue, sk: head.sk as AttributeValue },
        ConsistentRead: true,
        ProjectionExpression: 'receivedAt, requestId',
      }),
    );
    return found ? { receivedAt: found.receivedAt?.S ?? '', requestId: found.requestId?.S ?? '' } : null;
  };

  /**
   * Writes the head unless another arrival of the same bytes is stored: a conditional put, never a
   * blind overwrite (BatchWriteItem has no conditions), so the first arrival's receivedAt stays.
   * The same envelope again (SQS redelivery after a failed rebuild) may rewrite it, identically.
   */
  const putHeadOnce = async (head: Item, arrival: Delivery): Promise<boolean> => {
    try {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: head,
          ConditionExpression: 'attribute_not_exists(pk) OR (receivedAt = :r AND requestId = :q)',
          ExpressionAttributeValues: { ':r': { S: arrival.receivedAt }, ':q': { S: arrival.requestId } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  };

  return {
    async putDelivery(delivery, options) {
      // Parts before head, one at a time: a head is only ever visible with its whole body stored.
      for (const item of deliveryToItems(delivery, options)) await putItem(item);
    },

    async putDeliveries(writes) {
      const results: DeliveryWriteResult[] = writes.map(() => undefined);
      // Writes of the same bytes (same key) are one group, written once by its earliest arrival.
      const groups = new Map<string, { items: Item[]; members: number[] }>();
      writes.forEach(({ delivery, side }, index) => {
        let items: Item[];
        try {
          items = deliveryToItems(delivery, { side });
        } catch (error) {
          results[index] = error as Error;
          return;
        }
        const key = itemKey(items.at(-1) as Item);
        const group = groups.get(key) ?? { items, members: [] };
        group.members.push(index);
        groups.set(key, group);
      });
      const arrivalOf = (index: number) => (writes[index] as DeliveryWrite).delivery;
      await Promise.all(
        [...groups.values()].map(async ({ items: opened, members }) => {
          let items = opened;
          const ordered = [...members].sort((a, b) => {
            const [x, y] = [arrivalOf(a).receivedAt, arrivalOf(b).receivedAt];
            return x < y ? -1 : x > y ? 1 : a - b;
          });
          const earliest = ordered[0] as number;
          const first = arrivalOf(earliest);
          // The items (those of the member that opened the group) carry the earliest arrival.
          if (earliest !== members[0]) items = deliveryToItems(first, { side: writes[earliest]?.side });
          const head = items.at(-1) as Item;
          // Members that are this arrival again are answered by its write; others are duplicates.
          const settle = (stored: Pick<Delivery, 'receivedAt' | 'requestId'>) => {
            for (const index of members)
              results[index] = sameArrival(arrivalOf(index), stored) ? undefined : 'duplicate';
          };
          try {
            // A compressed body (over 16 KiB; in parts or in the head): one read first, so a replay
            // rewrites no part and fails no conditional write billed at the head's size.
            if (items.length > 1 || head.bodyBrotli !== undefined) {
              const stored = await storedArrival(head);
              if (stored) return settle(stored);
              // Parts before head, one at a time: a head is only ever visible with its whole body.
              for (const part of items.slice(0, -1)) await putItem(part);
            }
            if (await putHeadOnce(head, first)) return settle(first);
            // Another arrival is stored. Alone, this write is a duplicate; with batch-mates, the
            // stored one may be one of them (SQS redelivered it beside a replay): ask which.
            const distinct = new Set(
              members.map((i) => `${arrivalOf(i).receivedAt}\u0000${arrivalOf(i).requestId}`),
            );
            const stored = distinct.size > 1 ? await storedArrival(head) : null;
            settle(stored ?? { receivedAt: '', requestId: '' });
          } catch (error) {
            for (const index of members) results[index] = error as Error;
          }
        }),
      );
      return results;
    },

    async claimSignature(provider, signature, deliveryId) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: { ...signatureKey(provider, signature), deliveryId: { S: deliveryId } },
            ConditionExpression: 'attribute_not_exists(pk) OR deliveryId = :id',
            ExpressionAttributeValues: { ':id': { S: deliveryId } },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
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

    async getRecords(keys, onUnreadable) {
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
          for (const item of page.Responses?.[tableName] ?? []) {
            try {
              found.set(item.pk?.S ?? '', itemToRecord(item));
            } catch (error) {
              if (!onUnreadable) throw error;
              onUnreadable(item.pk?.S ?? '', error as Error);
            }
          }
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
