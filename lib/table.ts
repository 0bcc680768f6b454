/**
 * The calls table: key design and item ↔ domain mapping (no I/O here; see lib/store.ts).
 *
 *   pk = CALL#<provider>#<callId>  sk = RECORD                           the call record
 *   pk = CALL#<provider>#<callId>  sk = DELIVERY#<id>                    a delivery the record is built from
 *   pk = CALL#<provider>#<callId>  sk = PART#<id>#<n>                    overflow of a large raw body
 *   pk = CALL#<provider>#<callId>  sk = SIDE#<id>                        any other event of the call, kept raw
 *   pk = DELIVERY#<provider>#<id>  sk = DELIVERY#<id>                    a delivery about no call
 *   pk = SIG#<provider>#<digest>   sk = SIG                              the one body a signature vouched for
 *   pk = RECONCILE#<provider>      sk = WINDOW                           the reconciler's last completed window
 *
 * A delivery's key holds its id and nothing of its arrival: the id is a digest of the body bytes
 * (lib/envelope.ts contentDeliveryId), so a replayed body lands on the item its first arrival
 * wrote, which keeps its receivedAt (lib/store.ts writes heads on condition). Items written before
 * ids were content-addressed keep their `DELIVERY#<receivedAt>#<id>` keys and read the same.
 *
 * DELIVERY# < PART# < RECORD < SIDE#: one Query from DELIVERY# to RECORD reads exactly what a
 * rebuild needs (record-event deliveries, their parts, the stored record) and never a side event.
 *
 * Records carry sparse GSI keys (fromKey, toKey, dayKey, agentKey, batchKey) and one shared
 * sortKey = <receivedAt>#<provider>#<callId>, so every list is a Query ordered by arrival.
 */
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Delivery } from './envelope';
import type { CallRecord } from './record';
import schema from './table-schema.json';

export type Item = Record<string, AttributeValue>;

export const TABLE_SCHEMA = schema;
export const INDEX = {
  from: 'byFrom',
  to: 'byTo',
  day: 'byDay',
  agent: 'byAgent',
  batch: 'byBatch',
} as const;
/** Writes of one day spread over this many byDay partitions; a day's list queries them all. */
export const DAY_SHARDS = 8;

export const RECORD_SK = 'RECORD';
export const DELIVERY_PREFIX = 'DELIVERY#';
/** Events that cannot change the record (ProviderNormalizer.recordEvents): outside a rebuild's range. */
export const SIDE_PREFIX = 'SIDE#';
export const PART_PREFIX = 'PART#';
/** Reconciliation bookkeeping (lib/reconcile.ts): no index keys, so no list or replay sees it. */
export const reconcilePk = (provider: string) => `RECONCILE#${provider}`;
export const RECONCILE_SK = 'WINDOW';
export const callPk = (provider: string, callId: string) => `CALL#${provider}#${callId}`;
export const deliveryPk = (delivery: Pick<Delivery, 'provider' | 'callId' | 'deliveryId'>) =>
  delivery.callId === null
    ? `DELIVERY#${delivery.provider}#${delivery.deliveryId}`
    : callPk(delivery.provider, delivery.callId);
const deliverySk = (d: Pick<Delivery, 'deliveryId'>, side: boolean) =>
  `${side ? SIDE_PREFIX : DELIVERY_PREFIX}${d.deliveryId}`;
/** The item that binds a signature (its digest, Delivery.signature) to the one body it vouched for. */
export const signatureKey = (provider: string, signature: string): Item => ({
  pk: { S: `SIG#${provider}#${signature}` },
  sk: { S: 'SIG' },
});
export const partPrefix = (deliveryId: string) => `${PART_PREFIX}${deliveryId}#`;

/**
 * The instant a record is indexed, listed and range-filtered under: when its first delivery reached
 * the intake. Unlike provider times it is never null, never in a misconfigured zone, and a bare
 * `list` shows what just arrived; for real-time webhooks it is seconds after the call ended.
 */
export const listedAt = (record: CallRecord): string => record.receivedAt;
export const sortKeyOf = (record: CallRecord) => `${listedAt(record)}#${record.provider}#${record.callId}`;
export const dayKey = (day: string, shard: number) => `${day}#${shard}`;

/** FNV-1a: a stable, well-spread shard number from the call's identity. */
export function shardOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % DAY_SHARDS;
}

// DynamoDB limits that untrusted payload values can hit: nesting depth 32, number range, key size.
const MAX_DEPTH = 24;
const MAX_INDEX_KEY_BYTES = 512;
/** Below the 400 KB item limit with room for attribute names and index keys. */
export const MAX_RECORD_BYTES = 350_000;
const MAX_INLINE_BODY = 16_384;
/** Records whose details exceed this keep their large values (over 1 KiB each) Brotli-compressed. */
export const MAX_INLINE_DETAILS = 16_384;
const LARGE_DETAIL_BYTES = 1_024;
const MAX_FIELD_CHARS = 1_024;
export const MAX_PART_BYTES = 350_000;

// The SDK's marshall refuses numbers past ±2^53 (they are imprecise anyway; the raw body keeps the digits).
const storableNumber = (n: number) =>
  n === 0 || (Math.abs(n) <= Number.MAX_SAFE_INTEGER && Math.abs(n) > 1e-129);

/** JSON.parse accepts nesting that JSON.stringify cannot walk back (stack overflow); the raw body keeps it. */
function jsonTextOrNote(value: object): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '[too deeply nested to store here; see the raw delivery]';
  }
}

/** A JSON value DynamoDB will accept: too deep, out-of-range or odd-keyed parts become JSON text. */
export function toStorable(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return storableNumber(value) ? value : String(value);
  if (typeof value !== 'object') return null;
  if (depth >= MAX_DEPTH) return jsonTextOrNote(value);
  if (Array.isArray(value)) return value.map((entry) => toStorable(entry, depth + 1));
  const entries = Object.entries(value);
  // marshall reads `constructor` to pick the attribute type; an own key of that name misleads it.
  if (entries.some(([key]) => key === '' || key === '__proto__' || key === 'constructor'))
    return jsonTextOrNote(value);
  return Object.fromEntries(entries.map(([key, entry]) => [key, toStorable(entry, depth + 1)]));
}

/**
 * An upper bound of a storable value's size as DynamoDB counts it. JSON text undercounts dense
 * values: DynamoDB adds a byte per list/map element and stores `1` in two bytes.
 */
function storedBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return String(value).length + 1;
  if (value === null || typeof value !== 'object') return 1;
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + 1 + storedBytes(v), 3);
  return Object.entries(value).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + 1 + storedBytes(v), 3);
}

const indexKey = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' && Buffer.byteLength(value) <= MAX_INDEX_KEY_BYTES
    ? value
    : undefined;

const brotli = (text: string) =>
  brotliCompressSync(text, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 5,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: Buffer.byteLength(text),
    },
  });

/**
 * A record as its item. `deliveryCount` is how many record-event deliveries it was built from; the
 * record write is conditioned on it (lib/store.ts). Details over 16 KiB keep their small values as
 * plain attributes and their large ones in `detailsBrotli` (Brotli of a JSON object), so a
 * transcript costs its compressed size once more rather than its full size.
 */
export function recordToItem(record: CallRecord, version: number, deliveryCount?: number): Item {
  const time = listedAt(record);
  const keys = {
    pk: callPk(record.provider, record.callId),
    sk: RECORD_SK,
    version,
    sortKey: sortKeyOf(record),
    dayKey: dayKey(time.slice(0, 10), shardOf(`${record.provider}#${record.callId}`)),
    fromKey: indexKey(record.from),
    toKey: indexKey(record.to),
    agentKey: indexKey(record.details.agentId),
    batchKey: indexKey(record.details.batchId),
  };
  let details = toStorable(record.details) as Record<string, unknown>;
  let detailsTruncated = false;
  let detailsBrotli: Uint8Array | undefined;
  if (storedBytes(details) > MAX_INLINE_DETAILS) {
    const large = Object.entries(details).filter(([, v]) => storedBytes(v) > LARGE_DETAIL_BYTES);
    const compressed = brotli(JSON.stringify(Object.fromEntries(large)));
    const rest = Object.fromEntries(
      Object.entries(details).filter(([, v]) => storedBytes(v) <= LARGE_DETAIL_BYTES),
    );
    if (compressed.length + storedBytes(rest) <= MAX_RECORD_BYTES) {
      details = rest;
      detailsBrotli = compressed;
    }
  }
  // One call is one item: a record over the item limit keeps its full details only in the raw body.
  if (!detailsBrotli && storedBytes(details) > MAX_RECORD_BYTES) {
    details = Object.fromEntries(Object.entries(details).filter(([, v]) => storedBytes(v) < 16_384));
    detailsTruncated = true;
  }
  // Provider strings are unbounded; a record keeps the first KiB and the raw body keeps the rest.
  const clip = (value: string | null) => {
    if (value === null || value.length <= MAX_FIELD_CHARS) return value;
    detailsTruncated = true;
    // Never end on the first half of a surrogate pair (an emoji cut in two is not valid text).
    const end = /[\uD800-\uDBFF]/.test(value.charAt(MAX_FIELD_CHARS - 1))
      ? MAX_FIELD_CHARS - 1
      : MAX_FIELD_CHARS;
    return value.slice(0, end);
  };
  // A duration DynamoDB cannot hold as a number (past 2^53 s) is unreadable: null, like any odd value.
  const duration = record.durationSeconds;
  const durationSeconds = duration === null || storableNumber(duration) ? duration : null;
  if (durationSeconds !== duration) detailsTruncated = true;
  const clipped = {
    from: clip(record.from),
    to: clip(record.to),
    hangupCause: clip(record.hangupCause) as string,
    durationSeconds,
  };
  return marshall(
    {
      ...record,
      ...clipped,
      details,
      ...keys,
      ...(deliveryCount !== undefined && { deliveryCount }),
      ...(detailsBrotli && { detailsBrotli }),
      ...(detailsTruncated && { detailsTruncated }),
    },
    {
      removeUndefinedValues: true,
    },
  );
}

/** An item that cannot be read back (corrupt compressed data, a missing part): names the item, in one line. */
export class UnreadableItemError extends Error {
  constructor(what: string, reason: string) {
    super(`${what} is unreadable: ${reason}`);
    this.name = 'UnreadableItemError';
  }
}

const itemName = (item: Item) => `${item.pk?.S ?? '?'} ${item.sk?.S ?? '?'}`;
const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export interface StoredRecord {
  record: CallRecord;
  version: number;
  /** Large details were left out of the item; rebuild them from the raw deliveries. */
  detailsTruncated: boolean;
}

export function itemToRecord(item: Item): StoredRecord {
  const {
    pk,
    sk,
    version,
    sortKey,
    dayKey,
    fromKey,
    toKey,
    agentKey,
    batchKey,
    detailsTruncated,
    deliveryCount,
    detailsBrotli,
    ...record
  } = unmarshall(item);
  if (detailsBrotli instanceof Uint8Array) {
    let large: unknown;
    try {
      large = JSON.parse(brotliDecompressSync(detailsBrotli).toString('utf8'));
    } catch (error) {
      throw new UnreadableItemError(`record ${itemName(item)}`, `details: ${reasonOf(error)}`);
    }
    record.details = { ...record.details, ...(large as object) };
  }
  return {
    record: record as CallRecord,
    version: Number(version),
    detailsTruncated: detailsTruncated === true,
  };
}

/**
 * A delivery as items: parts first, head last, so a reader that finds the head finds the whole body.
 * Small bodies stay readable text; larger ones are Brotli-compressed; compressed bodies beyond one
 * item's budget are split across PART items.
 */
export function deliveryToItems(delivery: Delivery, { side = false }: { side?: boolean } = {}): Item[] {
  const pk = deliveryPk(delivery);
  // The signature digest is checked by the consumer before storing; the delivery does not keep it.
  const { body, signature: _signature, ...fields } = delivery;
  const head = { pk, sk: deliverySk(delivery, side && delivery.callId !== null), ...fields };
  if (Buffer.byteLength(body) <= MAX_INLINE_BODY) return [marshall({ ...head, body })];
  const compressed = brotli(body);
  if (compressed.length <= MAX_PART_BYTES) return [marshall({ ...head, bodyBrotli: compressed })];
  const parts: Item[] = [];
  for (let offset = 0, n = 0; offset < compressed.length; offset += MAX_PART_BYTES, n++) {
    const chunk = compressed.subarray(offset, offset + MAX_PART_BYTES);
    parts.push(
      marshall({ pk, sk: `${partPrefix(delivery.deliveryId)}${String(n).padStart(4, '0')}`, chunk }),
    );
  }
  return [...parts, marshall({ ...head, parts: parts.length })];
}

export const deliveryParts = (head: Item): number => Number(head.parts?.N ?? 0);

/** How many deliveries the stored record was built from; 0 for a record written before counts were kept. */
export const recordDeliveryCount = (item: Item): number => Number(item.deliveryCount?.N ?? 0);

/** Rebuilds a delivery from its head item and, when it has any, its parts in order. */
export function itemsToDelivery(head: Item, parts: readonly Item[] = []): Delivery {
  const h = unmarshall(head);
  const what = `delivery ${String(h.deliveryId)} (${itemName(head)})`;
  let body: string;
  if (typeof h.body === 'string') body = h.body;
  else {
    const expected = deliveryParts(head);
    if (parts.length !== expected)
      throw new UnreadableItemError(what, `${parts.length} of its ${expected} parts are stored`);
    const chunks = parts.map((p) => p.chunk?.B);
    const compressed = expected > 0 ? chunks : [h.bodyBrotli];
    if (!compressed.every((chunk) => chunk instanceof Uint8Array))
      throw new UnreadableItemError(what, 'it has no body');
    try {
      body = brotliDecompressSync(Buffer.concat(compressed as Uint8Array[])).toString('utf8');
    } catch (error) {
      throw new UnreadableItemError(what, `body: ${reasonOf(error)}`);
    }
  }
  return {
    deliveryId: h.deliveryId,
    provider: h.provider,
    receivedAt: h.receivedAt,
    requestId: h.requestId,
    eventType: h.eventType,
    callId: h.callId ?? null,
    body,
  };
}
