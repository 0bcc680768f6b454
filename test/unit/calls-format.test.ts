import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  listJson,
  listTable,
  rawJson,
  rawText,
  recordJson,
  recordText,
} from '../../lib/calls/format';
import type { CallRecord } from '../../lib/record';
import { rawFixture } from '../fixtures';
import { sampleRecord } from '../support/records';

describe('calls output', () => {
  it.each([
    [null, '-'],
    [0, '0s'],
    [59.6, '1m00s'],
    [125, '2m05s'],
    [3725, '1h02m05s'],
  ])('shows a duration of %s as %s', (seconds, text) => {
    // Act & Assess
    expect(formatDuration(seconds)).toBe(text);
  });

  it('lists calls as an aligned table with a count', () => {
    // Prepare
    const records = [
      sampleRecord(),
      sampleRecord({
        provider: 'bandwidth',
        callId: 'c-1',
        from: null,
        direction: null,
        endedAt: null,
        startedAt: null,
        durationSeconds: null,
        outcome: 'busy',
        receivedAt: '2025-12-18T09:00:00.000Z',
      }),
    ];

    // Act
    const text = listTable(records);

    // Assess
    expect(text.split('\n')).toEqual([
      'RECEIVED (UTC)        ENDED (UTC)           PROVIDER   CALL ID                    FROM           TO             DIRECTION  OUTCOME    DURATION',
      '2025-12-19 10:33:08Z  2025-12-19 10:33:07Z  callkaro   2303fa770b666a64ab1694c1e  +919876543210  +918765432109  outbound   completed  2m00s',
      '2025-12-18 09:00:00Z  -                     bandwidth  c-1                        -              +918765432109  -          busy       -',
      '2 calls, newest arrival first',
      '',
    ]);
    expect(listTable([])).toBe('no calls found\n');
  });

  it('prints records as JSON with the spec attributes in order', () => {
    // Prepare
    const scrambled = Object.fromEntries(Object.entries(sampleRecord()).reverse()) as unknown as CallRecord;

    // Act
    const one = JSON.parse(recordJson(scrambled));
    const many = JSON.parse(listJson([scrambled]));

    // Assess
    expect(Object.keys(one)).toEqual([
      'provider',
      'callId',
      'from',
      'to',
      'direction',
      'startedAt',
      'answeredAt',
      'endedAt',
      'durationSeconds',
      'outcome',
      'answered',
      'hangupCause',
      'receivedAt',
      'details',
    ]);
    expect(one).toEqual(sampleRecord());
    expect(many).toEqual([sampleRecord()]);
  });

  it('prints a record for people with its details, multi-line values indented', () => {
    // Act
    const text = recordText(sampleRecord());

    // Assess
    expect(text).toContain('callkaro 2303fa770b666a64ab1694c1e\n');
    expect(text).toContain('  outcome          completed\n');
    expect(text).toContain('  answeredAt       -\n');
    expect(text).toContain('  details\n    agentId        agent-1\n');
    expect(text).toContain('    transcription  Agent: hello\n                   Customer: hi\n');
  });

  it('prints raw deliveries exactly as JSON, and indented under their heading as text', () => {
    // Prepare
    const body = rawFixture('bandwidth', 'hangup');
    const deliveries = [
      { deliveryId: 'd-1', receivedAt: '2025-12-19T10:33:08.000Z', eventType: 'hangup', body },
    ];

    // Act
    const json = JSON.parse(rawJson(deliveries));
    const text = rawText(deliveries);

    // Assess
    expect(json).toEqual([{ deliveryId: 'd-1', receivedAt: '2025-12-19T10:33:08.000Z', body }]);
    const lines = body.replace(/\n$/, '').split('\n');
    expect(text).toBe(
      `── delivery 1 of 1: d-1, hangup, received 2025-12-19T10:33:08.000Z\n${lines.map((l) => `  ${l}\n`).join('')}`,
    );
  });
});
