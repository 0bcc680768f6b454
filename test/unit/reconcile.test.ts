/** The pure pieces of reconciliation: exact call texts out of a page, Retry-After, the next window. */
import { describe, expect, it } from 'vitest';
import { type ApiClient, ApiResponseError, arrayElementTexts, retryAfterMs } from '../../lib/providers/api';
import { nextLink } from '../../lib/providers/bandwidth-v2/api';
import { retellApi } from '../../lib/providers/retell/api';
import { clampToRetention, nextWindow, summaryLine } from '../../lib/reconcile';

describe('arrayElementTexts', () => {
  it('returns each element of the array at a key byte for byte, escapes and brackets in strings included', () => {
    const page =
      '{"page":0, "calls" : [ {"sid":"CA1","to":"+1 \\"]}[{ \\u00e9"} ,\n{"sid":"CA2","n":1.50e3,"x":[1,{"y":"}"}]}],"next_page_uri":null}';
    expect(arrayElementTexts(page, 'calls')).toEqual([
      '{"sid":"CA1","to":"+1 \\"]}[{ \\u00e9"}',
      '{"sid":"CA2","n":1.50e3,"x":[1,{"y":"}"}]}',
    ]);
  });

  it('reads a top-level array and an empty one', () => {
    expect(arrayElementTexts(' [ {"id":"a"}, "b", 3 ] ', null)).toEqual(['{"id":"a"}', '"b"', '3']);
    expect(arrayElementTexts('{"items":[]}', 'items')).toEqual([]);
  });

  it('takes the last of duplicate keys, as JSON.parse does', () => {
    expect(arrayElementTexts('{"items":[1],"items":[2,3]}', 'items')).toEqual(['2', '3']);
  });

  it('refuses what is not JSON, not an object with that array, or not an array', () => {
    expect(arrayElementTexts('{"calls": [ {"sid": ', 'calls')).toBeNull();
    expect(arrayElementTexts('{"calls": {"sid": "CA1"}}', 'calls')).toBeNull();
    expect(arrayElementTexts('{"other": []}', 'calls')).toBeNull();
    expect(arrayElementTexts('[1]', 'calls')).toBeNull();
    expect(arrayElementTexts('{"a":1}', null)).toBeNull();
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates, and nothing else', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('Wed, 02 Dec 2026 08:00:10 GMT', Date.parse('2026-12-02T08:00:00Z'))).toBe(10_000);
    expect(retryAfterMs(null)).toBeNull();
    expect(retryAfterMs('soon')).toBeNull();
  });
});

describe('nextWindow', () => {
  const now = new Date('2026-12-02T08:00:00Z');
  it('starts a lookback before the last completed window and ends 2 minutes before now', () => {
    expect(nextWindow(new Date('2026-12-02T07:43:00Z'), now, { lookbackMinutes: 60 })).toEqual({
      since: new Date('2026-12-02T06:43:00Z'),
      until: new Date('2026-12-02T07:58:00Z'),
    });
  });

  it('without a mark (or one in the future), looks back from the window end', () => {
    const first = { since: new Date('2026-12-02T06:58:00Z'), until: new Date('2026-12-02T07:58:00Z') };
    expect(nextWindow(null, now, { lookbackMinutes: 60 })).toEqual(first);
    expect(nextWindow(new Date('2026-12-03T00:00:00Z'), now, { lookbackMinutes: 60 })).toEqual(first);
  });

  it('after an outage, reaches back to the last completed window however long ago', () => {
    expect(nextWindow(new Date('2026-11-30T00:00:00Z'), now, { lookbackMinutes: 60 }).since).toEqual(
      new Date('2026-11-29T23:00:00Z'),
    );
  });

  it('catches up at most a day a run, so a window that keeps failing never outgrows the function', () => {
    // Without the cap a mark stuck on a failing call made each run list one more day than the last.
    expect(nextWindow(new Date('2026-11-30T00:00:00Z'), now, { lookbackMinutes: 60 })).toEqual({
      since: new Date('2026-11-29T23:00:00Z'),
      until: new Date('2026-12-01T00:00:00Z'),
    });
  });
});

describe('retell completeCall', () => {
  const listed = {
    callId: 'call_deleted1',
    body: '{"call_id":"call_deleted1","call_status":"ended"}',
    ended: true,
  };
  const answering = (error: Error): ApiClient => ({
    provider: 'retell',
    baseUrl: 'http://127.0.0.1:1',
    stats: { requests: 0, retries: 0 },
    request: async () => {
      throw error;
    },
    requestWithHeaders: async () => {
      throw error;
    },
  });

  it('keeps the list item when get-call answers 404 (deleted after it was listed), instead of failing every run', async () => {
    const call = await retellApi.completeCall?.(
      answering(new ApiResponseError('retell', 'GET /v2/get-call answered 404', 404)),
      { apiKey: 'k' },
      listed,
    );
    expect(call).toEqual(listed);
  });

  it('still fails on any other answer', async () => {
    await expect(
      retellApi.completeCall?.(
        answering(new ApiResponseError('retell', 'answered 400', 400)),
        { apiKey: 'k' },
        listed,
      ),
    ).rejects.toThrow('answered 400');
  });
});

describe('nextLink (Bandwidth v2 pages through the Link header, RFC 8288)', () => {
  it('finds rel="next" among other links, quoted or not, with other parameters', () => {
    expect(nextLink('<https://x/calls?pageToken=a>; rel="next"')).toBe('https://x/calls?pageToken=a');
    expect(nextLink('</first>; rel="first", <https://x/calls?pageToken=b,c>; title="n"; rel=next')).toBe(
      'https://x/calls?pageToken=b,c',
    );
    expect(nextLink('<https://x/a>; rel="prev next"')).toBe('https://x/a');
  });

  it('is null without a next link', () => {
    expect(nextLink(null)).toBeNull();
    expect(nextLink('')).toBeNull();
    expect(nextLink('<https://x/a>; rel="prev"')).toBeNull();
    expect(nextLink('<https://x/a>; rel="nextpage"')).toBeNull();
  });
});

describe('clampToRetention and the summary line', () => {
  const now = new Date('2026-12-02T08:00:00Z');
  const window = { since: new Date('2026-11-01T00:00:00Z'), until: now };

  it('moves a start older than the retention up to it, and leaves others alone', () => {
    expect(clampToRetention({ retentionMs: 7 * 86_400_000 }, window, now)).toEqual({
      window: { since: new Date('2026-11-25T08:00:00Z'), until: now },
      clamped: true,
    });
    expect(clampToRetention({}, window, now)).toEqual({ window, clamped: false });
    const recent = { since: new Date('2026-12-01T00:00:00Z'), until: now };
    expect(clampToRetention({ retentionMs: 7 * 86_400_000 }, recent, now)).toEqual({
      window: recent,
      clamped: false,
    });
  });

  it('adds unmatched and the clamped start only when there are some', () => {
    const counts = { provider: 'p', listed: 3, alreadyRecorded: 1, enqueued: 2, failed: 0 };
    expect(summaryLine(counts)).toBe('p: listed 3, already recorded 1, enqueued 2, failed 0');
    expect(summaryLine({ ...counts, unmatched: 0, listedFrom: '2026-11-25T08:00:00.000Z' })).toBe(
      'p: listed 3, already recorded 1, enqueued 2, failed 0, unmatched 0 (listed from 2026-11-25T08:00:00.000Z: the API keeps no older calls)',
    );
  });
});
