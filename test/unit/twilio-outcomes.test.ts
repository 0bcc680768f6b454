/**
 * Issue 17 item 4: every `CallStatus` twilio-node publishes for the Call resource
 * (node_modules/twilio/lib/rest/api/v2010/account/call.d.ts, `export type CallStatus = …`) maps to an
 * outcome chosen on purpose: a terminal status to its record's outcome, a status before the end to
 * no record at all (the call has not ended). None is left to `unknown`: the list of values judged
 * unknowable is empty, and a value the SDK adds later fails this test until someone decides it.
 * (Status callbacks also send `initiated`, which the Call resource's union does not list; it is a
 * lifecycle status like `ringing`.)
 *
 * Plivo: plivo-node 4.79.0 ships no type definitions and enumerates no CallStatus (its Call resource
 * copies `params.callStatus` through untyped), so its table stays the one spec §6 documents
 * (test/unit/plivo.test.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  outcomeOfCallStatus,
  TERMINAL_STATUSES,
  twilioNormalizer,
} from '../../lib/providers/twilio/normalize';
import type { Outcome } from '../../lib/record';
import { delivery } from '../support/deliveries';
import { rawFormFixture, withFields } from '../support/signed-requests';

const require = createRequire(import.meta.url);

/** The members of `export type CallStatus = "…" | …;` in the SDK's published declarations. */
function sdkCallStatuses(): string[] {
  const file = require.resolve('twilio/lib/rest/api/v2010/account/call.d.ts');
  const union = /export type CallStatus = ([^;]+);/.exec(readFileSync(file, 'utf8'))?.[1];
  if (union === undefined) throw new Error(`no CallStatus union in ${file}`);
  return [...union.matchAll(/"([^"]+)"/g)].map((match) => match[1] as string);
}

/** Terminal statuses (spec §6): the outcome each one's record gets (no AMD answer). */
const TERMINAL: Readonly<Record<string, Outcome>> = {
  completed: 'completed',
  busy: 'busy',
  'no-answer': 'no_answer',
  canceled: 'canceled',
  failed: 'failed',
};
/** Before the end: acknowledged and kept, never a record of their own (the call is still going). */
const NOT_ENDED = ['queued', 'ringing', 'in-progress'];
/** Values judged unknowable (would end as `unknown`): none. */
const UNKNOWABLE: readonly string[] = [];

const BODY = rawFormFixture('twilio', 'status-completed');
const CALL_SID = 'CA1234567890ABCDEF1234567890ABCDEF';
const recordFor = (status: string) =>
  twilioNormalizer.toCallRecord([
    delivery(withFields(BODY, { CallStatus: status }), {
      provider: 'twilio',
      eventType: status,
      callId: CALL_SID,
    }),
  ]);

describe('Twilio CallStatus: every value of twilio-node’s CallStatus union has a chosen outcome', () => {
  const statuses = sdkCallStatuses();

  it('reads a non-trivial union from the SDK', () => {
    expect(statuses).toContain('completed');
    expect(statuses.length).toBeGreaterThanOrEqual(8);
  });

  it.each(statuses)('%s is decided: a terminal outcome, or no record before the end', (status) => {
    // Assess
    const decided =
      Object.hasOwn(TERMINAL, status) || NOT_ENDED.includes(status) || UNKNOWABLE.includes(status);
    expect(decided, `${status}: add it to TERMINAL, NOT_ENDED or UNKNOWABLE on purpose`).toBe(true);
    if (Object.hasOwn(TERMINAL, status)) {
      expect(TERMINAL[status]).not.toBe('unknown');
      expect(TERMINAL_STATUSES.has(status)).toBe(true);
      expect(outcomeOfCallStatus(status, null)).toBe(TERMINAL[status]);
      expect(recordFor(status)?.outcome).toBe(TERMINAL[status]);
    } else {
      expect(TERMINAL_STATUSES.has(status)).toBe(false);
      expect(recordFor(status)).toBeNull();
    }
  });

  it('leaves no terminal status of ours outside the SDK union', () => {
    // Assess
    expect([...TERMINAL_STATUSES].filter((status) => !statuses.includes(status))).toEqual([]);
  });
});
