/**
 * Issue 17 item 4: every status/reason a provider's official SDK enumerates in its published type
 * definitions maps to an outcome chosen on purpose. The values are parsed here from the .d.ts files
 * in node_modules (never copied), so an SDK upgrade that adds a member fails this test until the new
 * member is decided; a value that reaches `unknown` must be in the provider's list of values judged
 * unknowable, and that list holds nothing the SDK does not send.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  OUTCOME_BY_DISCONNECTION_REASON,
  outcomeOfDisconnectionReason,
  UNKNOWABLE_DISCONNECTION_REASONS,
} from '../../lib/providers/retell/normalize';
import { outcomeOfHangupCause, UNKNOWABLE_HANGUP_CAUSES } from '../../lib/providers/telnyx/normalize';
import {
  OUTCOME_BY_ENDED_REASON,
  outcomeOfEndedReason,
  UNKNOWABLE_ENDED_REASONS,
} from '../../lib/providers/vapi/normalize';
import { OUTCOMES, type Outcome } from '../../lib/record';

/** A file of an installed package, as published (the devDependencies pinned in package-lock.json). */
const packageFile = (pkg: string, file: string) =>
  readFileSync(new URL(`../../node_modules/${pkg}/${file}`, import.meta.url), 'utf8');

/** The string literals of every `<field>?: 'a' | 'b' | …` union in a .d.ts. */
function unionMembers(dts: string, field: string): string[] {
  const unions = [...dts.matchAll(new RegExp(`\\b${field}\\??:\\s*((?:'[^']*'\\s*\\|?\\s*)+);`, 'g'))];
  return [
    ...new Set(unions.flatMap((m) => [...(m[1] ?? '').matchAll(/'([^']*)'/g)].map((v) => v[1] as string))),
  ];
}

/** The values of a Fern-generated `export declare const X: { readonly Name: "value"; … }`. */
function constValues(dts: string): string[] {
  return [...new Set([...dts.matchAll(/readonly \w+: "([^"]*)";/g)].map((m) => m[1] as string))];
}

const TELNYX_CAUSES = unionMembers(packageFile('telnyx', 'resources/webhooks.d.ts'), 'hangup_cause');
const RETELL_REASONS = unionMembers(packageFile('retell-sdk', 'resources/call.d.ts'), 'disconnection_reason');
const VAPI_REASONS = [
  ...new Set([
    ...constValues(
      packageFile('@vapi-ai/server-sdk', 'dist/cjs/api/types/ServerMessageEndOfCallReportEndedReason.d.ts'),
    ),
    ...constValues(packageFile('@vapi-ai/server-sdk', 'dist/cjs/api/types/CallEndedReason.d.ts')),
  ]),
];

const isOutcome = (value: string): value is Outcome => (OUTCOMES as readonly string[]).includes(value);

function expectDecided(
  values: readonly string[],
  outcomeOf: (value: string) => Outcome[],
  unknowable: ReadonlySet<string>,
) {
  const undecided = values.filter((value) => {
    const outcomes = outcomeOf(value);
    expect(outcomes.every(isOutcome), value).toBe(true);
    return outcomes.includes('unknown') && !unknowable.has(value);
  });
  expect(undecided).toEqual([]);
  // The unknowable lists name real members that really are unknown (no stale or dead entries).
  for (const value of unknowable) {
    expect(values, `${value} is not in the SDK's type`).toContain(value);
    expect(outcomeOf(value)).toContain('unknown');
  }
}

describe("outcome tables are exhaustive over the SDKs' published types", () => {
  it('reads non-trivial lists from the .d.ts files', () => {
    // The counts at the pinned versions: telnyx 7.24.0, retell-sdk 5.66.1, @vapi-ai/server-sdk.
    expect(TELNYX_CAUSES.length).toBeGreaterThanOrEqual(9);
    expect(RETELL_REASONS.length).toBeGreaterThanOrEqual(30);
    expect(VAPI_REASONS.length).toBeGreaterThanOrEqual(597);
    expect(TELNYX_CAUSES).toContain('normal_clearing');
    expect(RETELL_REASONS).toContain('transfer_cancelled');
    expect(VAPI_REASONS).toContain('call.in-progress.twilio-completed-call');
  });

  it('Telnyx hangup_cause (telnyx resources/webhooks.d.ts): answered and not', () => {
    expectDecided(
      TELNYX_CAUSES,
      (cause) => [outcomeOfHangupCause(cause, true), outcomeOfHangupCause(cause, false)],
      UNKNOWABLE_HANGUP_CAUSES,
    );
  });

  it('Retell disconnection_reason (retell-sdk resources/call.d.ts)', () => {
    expectDecided(
      RETELL_REASONS,
      (reason) => [outcomeOfDisconnectionReason(reason)],
      UNKNOWABLE_DISCONNECTION_REASONS,
    );
    expect(outcomeOfDisconnectionReason('transfer_cancelled')).toBe('completed');
    // Every exact entry of our table is a member the SDK knows (no typo can hide behind a prefix).
    for (const reason of OUTCOME_BY_DISCONNECTION_REASON.keys()) expect(RETELL_REASONS).toContain(reason);
  });

  it('Vapi endedReason (@vapi-ai/server-sdk ServerMessageEndOfCallReportEndedReason, CallEndedReason)', () => {
    expectDecided(VAPI_REASONS, (reason) => [outcomeOfEndedReason(reason)], UNKNOWABLE_ENDED_REASONS);
  });
});

describe("docs/providers/vapi.md's outcome table states the decided reasons", () => {
  const page = readFileSync(new URL('../../docs/providers/vapi.md', import.meta.url), 'utf8');
  const start = page.indexOf('\n## Record\n');
  const rows = page
    .slice(start, page.indexOf('\n## ', start + 1))
    .split('\n')
    .filter((line) => line.startsWith('|'));

  it.each([...OUTCOME_BY_ENDED_REASON.keys(), ...UNKNOWABLE_ENDED_REASONS])('%s', (reason) => {
    const row = rows.find((line) => (line.split('|')[1] ?? '').includes(`\`${reason}\``));
    expect(row, `no row of docs/providers/vapi.md lists ${reason}`).toBeDefined();
    expect(row?.split('|')[2]?.trim()).toBe(outcomeOfEndedReason(reason));
  });
});
