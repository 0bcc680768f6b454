/**
 * The outcome tables of docs/providers/{telnyx,vonage,bandwidth-v2}.md say what the normalizers do: every
 * documented cause/status sits in a row of its provider's table that names the outcome the code gives.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { outcomeOfCause as bandwidthV2Outcome } from '../../lib/providers/bandwidth-v2/normalize';
import { outcomeOfHangupCause, outcomeOfTexmlStatus } from '../../lib/providers/telnyx/normalize';
import { outcomeOfStatus } from '../../lib/providers/vonage/normalize';

/** The table rows of the `## Record` section of docs/providers/<provider>.md. */
function rowsOf(provider: string): string[] {
  const page = readFileSync(new URL(`../../docs/providers/${provider}.md`, import.meta.url), 'utf8');
  const start = page.indexOf('\n## Record\n');
  const end = page.indexOf('\n## ', start + 1);
  expect(start).toBeGreaterThan(0);
  return page
    .slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('|'));
}

/** The row whose first cell (or, for Telnyx's two-sided table, third cell) lists `cause`. */
const rowFor = (rows: readonly string[], cause: string, cell = 1) =>
  rows.find((row) => (row.split('|')[cell] ?? '').includes(`\`${cause}\``));

describe("the provider pages' outcome tables match the normalizers", () => {
  const telnyxCauses = [
    'normal_clearing',
    'time_limit',
    'originator_cancel',
    'user_busy',
    'no_answer',
    'timeout',
    'call_rejected',
    'not_found',
    'unspecified',
  ];
  it.each(
    telnyxCauses.map((cause): [string, string, string] => [
      cause,
      outcomeOfHangupCause(cause, true),
      outcomeOfHangupCause(cause, false),
    ]),
  )('Telnyx hangup_cause %s', (cause, ifAnswered, ifNot) => {
    // Act
    const row = rowFor(rowsOf('telnyx'), cause);

    // Assess
    expect(row).toBeDefined();
    expect(row?.split('|')[2]).toContain(ifAnswered);
    expect(row?.split('|')[2]).toContain(ifNot);
  });

  it.each(['completed', 'busy', 'no-answer', 'canceled', 'failed'])(
    'Telnyx TeXML CallStatus %s',
    (status) => {
      // Act
      const row = rowFor(rowsOf('telnyx'), status, 3);

      // Assess
      expect(row?.split('|')[4]).toContain(outcomeOfTexmlStatus(status, undefined));
    },
  );

  it.each([
    ['completed', undefined],
    ['busy', undefined],
    ['cancelled', undefined],
    ['unanswered', undefined],
    ['timeout', undefined],
    ['rejected', undefined],
    ['rejected', 'invalid_number'],
    ['failed', undefined],
  ])('Vonage status %s (detail %s)', (status, detail) => {
    // Act
    const row = rowFor(rowsOf('vonage'), status);

    // Assess
    expect(row?.split('|')[2]).toContain(outcomeOfStatus(status, detail, false));
  });

  it.each([
    'hangup',
    'busy',
    'timeout',
    'cancel',
    'rejected',
    'callback-error',
    'invalid-bxml',
    'application-error',
    'account-limit',
    'node-capacity-exceeded',
    'error',
    'unknown',
  ])('Bandwidth v2 cause %s', (cause) => {
    // Act
    const row = rowFor(rowsOf('bandwidth-v2'), cause);

    // Assess
    expect(row?.split('|')[2]).toContain(bandwidthV2Outcome(cause, true));
    expect(row?.split('|')[2]).toContain(bandwidthV2Outcome(cause, false));
  });
});
