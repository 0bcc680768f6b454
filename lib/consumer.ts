/**
 * The consumer: each queue message is one delivery. Store its raw body, then rebuild the call's
 * record from every delivery stored for it and write it with an optimistic version check. Because
 * the record is a function of the set of deliveries, duplicates, retries, redelivery and any
 * processing order converge on the same record.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type Delivery, decodeEnvelope } from './envelope';
import { RecordConflictError, UnknownProviderError } from './errors';
import type { ProviderNormalizer } from './providers/types';
import type { CallRecord } from './record';
import type { CallStore } from './store';
import { toStorable } from './table';

/** `kept`: stored raw only, the event type cannot change the record (see ProviderNormalizer.recordEvents). */
export type RecordChange = 'created' | 'updated' | 'unchanged' | 'pending' | 'no-call' | 'kept';

export interface ConsumerOutcome {
  messageId: string;
  delivery?: Delivery;
  change?: RecordChange;
  record?: CallRecord;
  error?: unknown;
}

export interface ConsumerDeps {
  store: CallStore;
  normalizers: Readonly<Record<string, ProviderNormalizer>>;
  /** Told about every message processed or failed; must not throw. */
  observe?: (outcome: ConsumerOutcome) => void;
}

const MAX_WRITE_ATTEMPTS = 8;

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );

export const sameRecord = (a: CallRecord, b: CallRecord): boolean =>
  canonical(toStorable(a)) === canonical(toStorable(b));

/**
 * Rebuilds and stores the record of one call from its stored deliveries. With `dryRun`, says what
 * the write would do (created / updated / unchanged) and returns the rebuilt record without writing.
 */
export async function rebuildRecord(
  normalizer: ProviderNormalizer,
  store: CallStore,
  callId: string,
  { dryRun = false }: { dryRun?: boolean } = {},
): Promise<{ change: RecordChange; record?: CallRecord }> {
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    // Version first, deliveries second: a delivery stored after this read makes the write below fail.
    const current = await store.getRecord(normalizer.name, callId);
    const record = normalizer.toCallRecord(await store.loadDeliveries(normalizer.name, callId));
    if (record === null) return { change: 'pending' };
    if (current && !current.detailsTruncated && sameRecord(current.record, record)) {
      return { change: 'unchanged', record };
    }
    if (dryRun) return { change: current ? 'updated' : 'created', record };
    if (await store.putRecord(record, current?.version ?? 0))
      return { change: current ? 'updated' : 'created', record };
  }
  throw new RecordConflictError(normalizer.name, callId);
}

export async function processDelivery(
  delivery: Delivery,
  deps: ConsumerDeps,
): Promise<{ change: RecordChange; record?: CallRecord }> {
  const normalizer = deps.normalizers[delivery.provider];
  if (!normalizer) throw new UnknownProviderError(delivery.provider);
  await deps.store.putDelivery(delivery);
  if (delivery.callId === null) return { change: 'no-call' };
  if (!normalizer.recordEvents.has(delivery.eventType)) return { change: 'kept' };
  return rebuildRecord(normalizer, deps.store, delivery.callId);
}

export async function processMessage(message: Pick<SQSRecord, 'messageId' | 'body'>, deps: ConsumerDeps) {
  const outcome: ConsumerOutcome = { messageId: message.messageId };
  try {
    outcome.delivery = decodeEnvelope(message.body);
    Object.assign(outcome, await processDelivery(outcome.delivery, deps));
  } catch (error) {
    outcome.error = error;
    throw error;
  } finally {
    deps.observe?.(outcome);
  }
}

export type ConsumerHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/** SQS batch handler: a message that throws is reported alone in `batchItemFailures`. */
export const createConsumerHandler =
  (deps: () => ConsumerDeps): ConsumerHandler =>
  (event, context) =>
    processPartialResponse(
      event,
      (record: SQSRecord) => processMessage(record, deps()),
      new BatchProcessor(EventType.SQS),
      {
        context,
        throwOnFullBatchFailure: false,
      },
    );
