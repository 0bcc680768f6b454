/**
 * DynamoDB on-demand metering, measured rather than guessed: a middleware on a real DynamoDB client
 * sees every request the consumer makes and charges it the way DynamoDB bills on-demand tables —
 * item sizes by the documented rules, one write per affected GSI entry (two when an index key
 * changes), reads rounded per 4 KB, failed conditional writes still charged.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLE_SCHEMA } from '../lib/table';
import { prices } from './prices';

type Item = Record<string, AttributeValue>;

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** Size of a number: about one byte per two significant digits, plus one. */
function numberBytes(text: string): number {
  const digits = text
    .replace(/^-/, '')
    .replace(/e.*$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.min(21, Math.ceil(Math.max(1, digits.length) / 2) + 1);
}

export function attributeValueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return utf8Bytes(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((sum, s) => sum + utf8Bytes(s), 0);
  if (value.NS) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  if (value.BS) return value.BS.reduce((sum, b) => sum + b.length, 0);
  if (value.L) return 3 + value.L.reduce((sum, entry) => sum + 1 + attributeValueBytes(entry), 0);
  if (value.M) return 3 + Object.keys(value.M).length + itemBytes(value.M);
  return 0;
}

/** An item's billable size: attribute names plus values. */
export function itemBytes(item: Item): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) bytes += utf8Bytes(name) + attributeValueBytes(value);
  return bytes;
}

interface IndexShape {
  name: string;
  keys: string[];
  projected: string[];
}

const TABLE_KEYS = TABLE_SCHEMA.KeySchema.map((key) => key.AttributeName);
export const INDEXES: IndexShape[] = TABLE_SCHEMA.GlobalSecondaryIndexes.map((index) => ({
  name: index.IndexName,
  keys: index.KeySchema.map((key) => key.AttributeName),
  projected: index.Projection.NonKeyAttributes ?? [],
}));

/** The entry an item has in an index, or null when the item lacks the index's keys (sparse). */
function indexEntry(index: IndexShape, item: Item | undefined): Item | null {
  if (!item || index.keys.some((key) => item[key] === undefined)) return null;
  const entry: Item = {};
  for (const name of [...TABLE_KEYS, ...index.keys, ...index.projected]) {
    const value = item[name];
    if (value !== undefined) entry[name] = value;
  }
  return entry;
}

const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / prices.dynamodb.writeUnitBytes));
const readUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / prices.dynamodb.readUnitBytes));

export interface CapacityTotals {
  requests: Record<string, number>;
  tableWriteUnits: number;
  indexWriteUnits: number;
  /** Index entries written (or deleted) per index. */
  indexWrites: Record<string, number>;
  readUnits: number;
  /** Conditional PutItems that failed (billed, wrote nothing): concurrent writers of one record. */
  failedConditionalWrites: number;
  /** Bytes of items successfully written to the table, by kind (the item's sort-key prefix). */
  itemBytes: Record<string, number[]>;
  /** Bytes of index entries (with the per-entry overhead) created, for storage. */
  indexEntryBytes: number;
}

export interface CapacityMeter {
  totals(): CapacityTotals;
  reset(): void;
  detach(): void;
}

const emptyTotals = (): CapacityTotals => ({
  requests: {},
  tableWriteUnits: 0,
  indexWriteUnits: 0,
  indexWrites: {},
  readUnits: 0,
  failedConditionalWrites: 0,
  itemBytes: {},
  indexEntryBytes: 0,
});

const keyOf = (item: Item) => `${item.pk?.S}\u0000${item.sk?.S}`;
const kindOf = (item: Item) => (item.sk?.S ?? '').split('#')[0] ?? '';

/** Meters every request sent through `client` until detached. Tracks item images to price replacements. */
export function attachCapacityMeter(client: DynamoDBClient): CapacityMeter {
  const name = `capacityMeter${Math.random().toString(36).slice(2)}`;
  const images = new Map<string, Item>();
  let totals = emptyTotals();

  const chargeIndexes = (before: Item | undefined, after: Item) => {
    for (const index of INDEXES) {
      const old = indexEntry(index, before);
      const next = indexEntry(index, after);
      if (!old && !next) continue;
      const keyChanged = old && next && index.keys.some((key) => old[key]?.S !== next[key]?.S);
      const entries = [old && (keyChanged || !next) ? old : null, next].filter((e): e is Item => e !== null);
      for (const entry of entries) {
        const bytes = itemBytes(entry) + prices.dynamodb.indexEntryOverheadBytes;
        totals.indexWriteUnits += writeUnits(bytes);
        totals.indexWrites[index.name] = (totals.indexWrites[index.name] ?? 0) + 1;
      }
      if (next && !old) totals.indexEntryBytes += itemBytes(next) + prices.dynamodb.indexEntryOverheadBytes;
    }
  };

  const charge = (item: Item) => {
    const before = images.get(keyOf(item));
    totals.tableWriteUnits += writeUnits(Math.max(itemBytes(item), before ? itemBytes(before) : 0));
  };
  const stored = (item: Item) => {
    const before = images.get(keyOf(item));
    images.set(keyOf(item), item);
    const kind = kindOf(item);
    const sizes = totals.itemBytes[kind] ?? [];
    sizes.push(itemBytes(item));
    totals.itemBytes[kind] = sizes;
    chargeIndexes(before, item);
  };

  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      const input = args.input as Record<string, unknown>;
      totals.requests[command] = (totals.requests[command] ?? 0) + 1;
      if (command === 'PutItem') {
        const item = input.Item as Item;
        // A failed conditional write is billed too, so the charge comes before the outcome.
        charge(item);
        try {
          const result = await next(args);
          stored(item);
          return result;
        } catch (error) {
          if ((error as Error)?.name === 'ConditionalCheckFailedException')
            totals.failedConditionalWrites += 1;
          throw error;
        }
      }
      if (command === 'BatchWriteItem') {
        const requests = Object.values(
          input.RequestItems as Record<string, { PutRequest?: { Item: Item } }[]>,
        ).flat();
        const result = await next(args);
        const output = result.output as unknown as {
          UnprocessedItems?: Record<string, { PutRequest?: { Item: Item } }[]>;
        };
        const unprocessed = new Set(
          Object.values(output.UnprocessedItems ?? {})
            .flat()
            .flatMap((r) => (r.PutRequest ? [keyOf(r.PutRequest.Item)] : [])),
        );
        for (const request of requests) {
          if (!request.PutRequest || unprocessed.has(keyOf(request.PutRequest.Item))) continue;
          charge(request.PutRequest.Item);
          stored(request.PutRequest.Item);
        }
        return result;
      }
      if (command === 'UpdateItem') {
        // Only the consumer's `SET deliveryCount = :n` (no index key or projected attribute): billed
        // by the item's size, failed or not; index entries are untouched.
        const key = input.Key as Item;
        const before = images.get(keyOf(key));
        totals.tableWriteUnits += writeUnits(before ? itemBytes(before) : 0);
        try {
          const result = await next(args);
          const count = (input.ExpressionAttributeValues as Item | undefined)?.[':n'];
          if (before && count) images.set(keyOf(key), { ...before, deliveryCount: count });
          return result;
        } catch (error) {
          if ((error as Error)?.name === 'ConditionalCheckFailedException')
            totals.failedConditionalWrites += 1;
          throw error;
        }
      }
      const result = await next(args);
      const output = result.output as unknown as Record<string, unknown>;
      if (command === 'GetItem') {
        const item = output.Item as Item | undefined;
        const consistent = input.ConsistentRead === true;
        totals.readUnits += readUnits(item ? itemBytes(item) : 0) / (consistent ? 1 : 2);
      } else if (command === 'Query') {
        const items = (output.Items as Item[] | undefined) ?? [];
        const consistent = input.ConsistentRead === true;
        totals.readUnits += readUnits(items.reduce((sum, i) => sum + itemBytes(i), 0)) / (consistent ? 1 : 2);
      }
      return result;
    },
    { step: 'initialize', name },
  );

  return {
    totals: () => structuredClone(totals),
    reset: () => {
      totals = emptyTotals();
    },
    detach: () => {
      client.middlewareStack.remove(name);
    },
  };
}
