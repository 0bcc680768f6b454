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
}

/** `answered` is derived from the outcome, never read from the provider. */
export const isAnswered = (outcome: Outcome): boolean => outcome === 'completed' || outcome === 'voicemail';
