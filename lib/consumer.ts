/**
 * The consumer: each queue message is one delivery. A batch's deliveries are stored first (each
 * head by a conditional put, so identical bytes are stored once; the parts of a large body before
 * its head), then each call they concern is rebuilt once: one Query reads the call's record-event deliveries and its stored record,
 * and the record is written only if no record built from as many deliveries is stored. Sets of a
 * call's deliveries only grow and each rebuild reads after its own deliveries were stored, so a
 * record of more deliveries holds every delivery of a record of fewer: duplicates, retries,
 * redelivery and any processing order converge on the same record, without a version read.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type Delivery, decodeEnvelope } from './envelope';
import { RecordConflictError, UnknownProviderError } from './errors';
import { API_EVENT } from './providers/api';
import { providerApis } from './providers/api-registry';
import type { ProviderNormalizer } from './providers/types';
import { type CallRecord, isAnswered, type RecordSource } from './record';
import type { CallStore } from './store';
import { itemToRecord, recordToItem, type StoredRecord } from './table';

/**
 * `kept`: stored raw only, the event type cannot change the record (see ProviderNormalizer.recordEvents).
 * `duplicate`: the same bytes were stored by an earlier arrival; nothing written, nothing rebuilt.
 * `forged`: its signature already vouched for another body (a re-split); dropped, stored nowhere.
 */
export type RecordChange =
  | 'created'
  | 'updated'
  | 'unchanged'
  | 'pending'
  | 'no-call'
  | 'kept'
  | 'duplicate'
  | 'forged';

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

/** Whether writing `record` would store exactly what `stored` holds (values clipped or cut alike). */
const storesAs = (stored: StoredRecord, record: CallRecord): boolean => {
  const rebuilt = itemToRecord(recordToItem(record, stored.version));
  return (
    rebuilt.detailsTruncated === stored.detailsTruncated &&
    canonical(rebuilt.record) === canonical(stored.record)
  );
};

// --- Reconciliation (issue 20): webhook and list-API deliveries of one call make one record. ---

/**
 * A delivery the reconciler or backfill stored (lib/reconcile.ts): its event type, and a delivery id
 * no ingress gives (a webhook cannot pass itself off as the API by naming its event `api.call`).
 */
export const isApiDelivery = (delivery: Pick<Delivery, 'eventType' | 'deliveryId'>): boolean =>
  delivery.eventType === API_EVENT && delivery.deliveryId.startsWith('api-');

const earliest = (times: readonly string[]): string | undefined =>
  [...times].sort((a, b) => Date.parse(a) - Date.parse(b) || (a < b ? -1 : a > b ? 1 : 0))[0];

const missing = (value: unknown) => value === null || value === undefined || value === '';

/** Webhook values win where both have one; API values fill what the webhooks left null (spec §7). */
function mergeRecords(webhook: CallRecord, api: CallRecord): CallRecord {
  const pick = <T>(w: T, a: T): T => (missing(w) ? a : w);
  const details: Record<string, unknown> = { ...api.details };
  for (const [key, value] of Object.entries(webhook.details))
    if (!missing(value) || !(key in details)) details[key] = value;
  // The API normalizer's note on a transcript its object lacked (Vapi) is stale once a webhook has one.
  if (!missing(details.transcript) && 'transcriptNote' in details) details.transcriptNote = null;
  return {
    ...webhook,
    from: pick(webhook.from, api.from),
    to: pick(webhook.to, api.to),
    direction: pick(webhook.direction, api.direction),
    startedAt: pick(webhook.startedAt, api.startedAt),
    answeredAt: pick(webhook.answeredAt, api.answeredAt),
    endedAt: pick(webhook.endedAt, api.endedAt),
    durationSeconds: pick(webhook.durationSeconds, api.durationSeconds),
    outcome: webhook.outcome,
    answered: isAnswered(webhook.outcome),
    hangupCause: pick(webhook.hangupCause, api.hangupCause),
    receivedAt: earliest([webhook.receivedAt, api.receivedAt]) ?? webhook.receivedAt,
    details,
  };
}

/**
 * The record of one call from its record-event deliveries: the provider's webhook normalizer over
 * the webhook deliveries, its API normalizer over the API ones, merged; `sources` says which kinds
 * there were. A function of the set of deliveries, as each normalizer is, so order-free.
 */
export function buildRecord(
  normalizer: ProviderNormalizer,
  deliveries: readonly Delivery[],
): CallRecord | null {
  const api = providerApis[normalizer.name];
  const fromApi = api ? deliveries.filter(isApiDelivery) : [];
  const fromWebhooks = api ? deliveries.filter((d) => !isApiDelivery(d)) : deliveries;
  const sources: RecordSource[] = [];
  if (fromApi.length > 0) sources.push('api');
  if (fromWebhooks.length > 0) sources.push('webhook');
  const webhook = fromWebhooks.length > 0 ? normalizer.toCallRecord(fromWebhooks) : null;
  const fromList = api && fromApi.length > 0 ? api.toCallRecord(fromApi) : null;
  if (webhook !== null && fromList !== null) return { ...mergeRecords(webhook, fromList), sources };
  if (webhook !== null) return { ...webhook, sources };
  if (fromList === null) return null;
  // Only non-terminal webhooks (the end-of-call one was lost): the call was known from their arrival.
  const receivedAt = earliest([fromList.receivedAt, ...fromWebhooks.map((d) => d.receivedAt)]);
  return { ...fromList, receivedAt: receivedAt ?? fromList.receivedAt, sources };
}

/** Whether a delivery takes part in the record (else it is kept raw as a side event). */
const changesRecord = (normalizer: ProviderNormalizer, delivery: Delivery): boolean =>
  delivery.callId !== null &&
  (normalizer.recordEvents.has(delivery.eventType) ||
    (isApiDelivery(delivery) && providerApis[normalizer.name] !== undefined));

/**
 * Rebuilds and stores the record of one call from its stored deliveries. With `dryRun`, says what
 * the write would do (created / updated / unchanged) and returns the rebuilt record without writing.
 * With `replay`, a record of as many deliveries is rewritten too (the mapping may have changed).
 */
export async function rebuildRecord(
  normalizer: ProviderNormalizer,
  store: CallStore,
  callId: string,
  { dryRun = false, replay = false }: { dryRun?: boolean; replay?: boolean } = {},
): Promise<{ change: RecordChange; record?: CallRecord }> {
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const { deliveries, stored, storedCount } = await store.loadCall(normalizer.name, callId);
    const count = deliveries.length;
    // A record of more deliveries is stored: it holds every delivery this rebuild saw.
    if (stored && !replay && storedCount > count) return { change: 'unchanged', record: stored.record };
    const record = buildRecord(normalizer, deliveries);
    if (record === null) return { change: 'pending' };
    if (stored && storesAs(stored, record)) {
      if (dryRun || storedCount >= count) return { change: 'unchanged', record };
      // Same record, more deliveries: say so, or a writer that read fewer could still overwrite it.
      const seen = { version: stored.version, deliveryCount: storedCount };
      if (await store.markRecordCount(normalizer.name, callId, seen, count))
        return { change: 'unchanged', record };
      continue;
    }
    if (dryRun) return { change: stored ? 'updated' : 'created', record };
    const write = { record, version: (stored?.version ?? 0) + 1, deliveryCount: count, replay };
    if (await store.putRecordIfNewer(write)) return { change: stored ? 'updated' : 'created', record };
    // The live consumer needs no retry (a record of at least as many deliveries is stored);
    // a replay reads again so the current mapping is applied to that larger set.
    if (!replay) return { change: 'unchanged' };
  }
  throw new RecordConflictError(normalizer.name, callId);
}

interface Pending {
  message: Pick<SQSRecord, 'messageId' | 'body'>;
  outcome: ConsumerOutcome;
  normalizer?: ProviderNormalizer;
}

/**
 * Processes one batch: every message gets its outcome (with `error` when it failed). Deliveries
 * are stored together, then each call with a record event is rebuilt once, all calls in parallel.
 */
export async function processBatch(
  messages: readonly Pick<SQSRecord, 'messageId' | 'body'>[],
  deps: ConsumerDeps,
): Promise<ConsumerOutcome[]> {
  const pending: Pending[] = messages.map((message) => {
    const outcome: ConsumerOutcome = { messageId: message.messageId };
    try {
      const delivery = decodeEnvelope(message.body);
      outcome.delivery = delivery;
      const normalizer = deps.normalizers[delivery.provider];
      if (!normalizer) throw new UnknownProviderError(delivery.provider);
      return { message, outcome, normalizer };
    } catch (error) {
      outcome.error = error;
      return { message, outcome };
    }
  });
  const valid = pending.filter(
    (p): p is Pending & { normalizer: ProviderNormalizer; outcome: { delivery: Delivery } } =>
      p.outcome.error === undefined && p.normalizer !== undefined && p.outcome.delivery !== undefined,
  );
  const isRecordEvent = (p: (typeof valid)[number]) => changesRecord(p.normalizer, p.outcome.delivery);

  // Issue 18: one signature vouches for one body. A delivery whose signature (Twilio, Plivo: key+value
  // pairs signed with no separator, so a captured request re-splits) already vouched for other
  // bytes is a forgery: dropped before anything of it is stored. Retries of the genuine bytes pass.
  await Promise.all(
    valid.map(async (p) => {
      const { provider, signature, deliveryId } = p.outcome.delivery;
      if (signature === undefined) return;
      try {
        if (!(await deps.store.claimSignature(provider, signature, deliveryId))) p.outcome.change = 'forged';
      } catch (error) {
        p.outcome.error = error;
      }
    }),
  );
  const storable = valid.filter((p) => p.outcome.error === undefined && p.outcome.change === undefined);

  try {
    const written = await deps.store.putDeliveries(
      storable.map((p) => ({ delivery: p.outcome.delivery, side: !isRecordEvent(p) })),
    );
    written.forEach((result, i) => {
      const p = storable[i];
      // spec §4: another arrival of the same bytes is stored; this one adds and rebuilds nothing.
      if (p && result === 'duplicate') p.outcome.change = 'duplicate';
      else if (p && result) p.outcome.error = result;
    });
  } catch (error) {
    for (const p of storable) p.outcome.error = error;
  }

  const calls = new Map<string, { normalizer: ProviderNormalizer; callId: string; members: Pending[] }>();
  for (const p of storable) {
    if (p.outcome.error !== undefined || p.outcome.change !== undefined) continue;
    const { callId, provider } = p.outcome.delivery;
    if (callId === null) p.outcome.change = 'no-call';
    else if (!isRecordEvent(p)) p.outcome.change = 'kept';
    else {
      const key = `${provider}\u0000${callId}`;
      const call = calls.get(key) ?? { normalizer: p.normalizer, callId, members: [] };
      call.members.push(p);
      calls.set(key, call);
    }
  }
  await Promise.all(
    [...calls.values()].map(async ({ normalizer, callId, members }) => {
      try {
        const result = await rebuildRecord(normalizer, deps.store, callId);
        for (const p of members) Object.assign(p.outcome, result);
      } catch (error) {
        // Their deliveries are stored; a redelivery rebuilds the record.
        for (const p of members) p.outcome.error = error;
      }
    }),
  );
  return pending.map((p) => p.outcome);
}

/** One message alone: throws its error, as the batch handler reports it. */
export async function processMessage(message: Pick<SQSRecord, 'messageId' | 'body'>, deps: ConsumerDeps) {
  const [outcome] = await processBatch([message], deps);
  if (!outcome) return;
  deps.observe?.(outcome);
  if (outcome.error !== undefined) throw outcome.error;
}

export type ConsumerHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/**
 * SQS batch handler: the batch is processed as a whole, then each message is settled by Powertools'
 * partial batch processor, so a message that failed is reported alone in `batchItemFailures`.
 */
export const createConsumerHandler =
  (deps: () => ConsumerDeps): ConsumerHandler =>
  async (event, context) => {
    const resolved = deps();
    let outcomes: ConsumerOutcome[];
    try {
      outcomes = await processBatch(event.Records, resolved);
    } catch (error) {
      outcomes = event.Records.map((record) => ({ messageId: record.messageId, error }));
    }
    const byRecord = new Map(event.Records.map((record, i) => [record, outcomes[i]]));
    return processPartialResponse(
      event,
      async (record: SQSRecord) => {
        const outcome = byRecord.get(record) ?? { messageId: record.messageId };
        resolved.observe?.(outcome);
        if (outcome.error !== undefined) throw outcome.error;
      },
      new BatchProcessor(EventType.SQS),
      {
        context,
        throwOnFullBatchFailure: false,
      },
    );
  };
