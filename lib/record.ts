/** The normalized call record: one DynamoDB item per call (shared/spec.md §2–§3). */

export const OUTCOMES = [
  'completed',
  'voicemail',
  'busy',
  'no_answer',
  'rejected',
  'canceled',
  'invalid_number',
  'failed',
  'not_placed',
  'unknown',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type Direction = 'inbound' | 'outbound';

/** How a call became known (spec §7): its webhooks, the provider's list API, or both. */
export const RECORD_SOURCES = ['api', 'webhook'] as const;
export type RecordSource = (typeof RECORD_SOURCES)[number];

export interface CallRecord {
  provider: string;
  callId: string;
  from: string | null;
  to: string | null;
  direction: Direction | null;
  startedAt: string | null;
  answeredAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  outcome: Outcome;
  answered: boolean;
  hangupCause: string;
  receivedAt: string;
  details: Record<string, unknown>;
  /**
   * Sorted: `["api"]`, `["api","webhook"]` or `["webhook"]`. Set by the consumer's rebuild
   * (lib/consumer.ts buildRecord), not by a provider's normalizer; absent on records stored before
   * reconciliation existed, which came from webhooks.
   */
  sources?: RecordSource[];
}

/** `answered` is derived from the outcome, never read from the provider. */
export const isAnswered = (outcome: Outcome): boolean => outcome === 'completed' || outcome === 'voicemail';
