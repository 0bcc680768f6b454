/**
 * README's outcome tables for Telnyx, Vonage and Bandwidth v2 say what the normalizers do: every
 * documented cause/status sits in a row of its provider's table that names the outcome the code gives.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { outcomeOfCause as bandwidthV2Outcome } from '../../lib/providers/bandwidth-v2/normalize';
import { outcomeOfHangupCause, outcomeOfTexmlStatus } from '../../lib/providers/telnyx/normalize';
import { outcomeOfStatus } from '../../lib/providers/vonage/normalize';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The table rows of README's `### <title>` subsection. */
function rowsOf(title: string): string[] {
  const start = README.indexOf(`### ${title}\n`);
  const end = README.indexOf('\n#', start + 1);
  return README.slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('|'));
}

/** The row whose first cell (or, for Telnyx's two-sided table, third cell) lists `cause`. */
const rowFor = (rows: readonly string[], cause: string, cell = 1) =>
  rows.find((row) => (row.split('|')[cell] ?? '').includes(`\`${cause}\``));

describe("README's outcome tables match the normalizers", () => {
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
    const row = rowFor(rowsOf('Telnyx records'), cause);

    // Assess
    expect(row).toBeDefined();
    expect(row?.split('|')[2]).toContain(ifAnswered);
    expect(row?.split('|')[2]).toContain(ifNot);
  });

  it.each(['completed', 'busy', 'no-answer', 'canceled', 'failed'])(
    'Telnyx TeXML CallStatus %s',
    (status) => {
      // Act
      const row = rowFor(rowsOf('Telnyx records'), status, 3);

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
    const row = rowFor(rowsOf('Vonage records'), status);

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
    const row = rowFor(rowsOf('Bandwidth v2 records'), cause);

    // Assess
    expect(row?.split('|')[2]).toContain(bandwidthV2Outcome(cause, true));
    expect(row?.split('|')[2]).toContain(bandwidthV2Outcome(cause, false));
  });
});
