/**
 * The `calls` CLI's queries against dynalite through the real SDK: every filter and index, pages
 * smaller than the result, and the exit statuses of the command itself.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListFilters } from '../../lib/calls/args';
import { type CallReader, getCall, getRawDeliveries, listCalls } from '../../lib/calls/query';
import { numberHint, runCalls } from '../../lib/calls/run';
import { normalizers } from '../../lib/providers/registry';
import type { CallRecord, Outcome } from '../../lib/record';
import { buildCallStore } from '../../lib/store';
import { sortKeyOf } from '../../lib/table';
import { callkaroCallEnded } from '../fixtures';
import { callkaroRequest } from '../support/requests';
import { startTestStack, type TestStack } from '../support/stack';

const ALICE = '+14155550100';
const BOB = '+14155550199';
const OUTCOMES: Outcome[] = ['completed', 'no_answer', 'busy', 'voicemail'];
const pad = (n: number) => String(n).padStart(2, '0');

/** 30 calls over 8 days of January 2026; Alice is the caller of the even ones, callee of every 5th. */
const RECORDS: CallRecord[] = Array.from({ length: 30 }, (_, i) => {
  const provider = i % 3 === 0 ? 'bandwidth' : 'callkaro';
  const endedAt = new Date(Date.UTC(2026, 0, 1 + Math.floor(i / 4), 10, i)).toISOString();
  const outcome = OUTCOMES[i % OUTCOMES.length] as Outcome;
  return {
    provider,
    callId: `call-${pad(i)}`,
    from: i % 2 === 0 ? ALICE : `+1415555${pad(i)}00`,
    to: i % 5 === 0 ? ALICE : BOB,
    direction: 'outbound',
    startedAt: null,
    answeredAt: null,
    endedAt,
    durationSeconds: 60 + i,
    outcome,
    answered: outcome === 'completed' || outcome === 'voicemail',
    hangupCause: 'TEST',
    receivedAt: endedAt,
    details:
      provider === 'callkaro'
        ? { agentId: i % 2 === 0 ? 'agent-a' : 'agent-b', batchId: i < 15 ? 'batch-1' : 'batch-2' }
        : { callUri: null, callState: null },
  };
});

/** What a list must return: the matching records, newest first (by sort key), at most `limit`. */
const expected = (match: (r: CallRecord) => boolean, limit = 100) =>
  RECORDS.filter(match)
    .sort((a, b) => (sortKeyOf(a) < sortKeyOf(b) ? 1 : -1))
    .slice(0, limit)
    .map((r) => r.callId);

let stack: TestStack;
let reader: CallReader;
let dynamoPort: number;

beforeAll(async () => {
  stack = await startTestStack();
  reader = { store: buildCallStore(stack.dynamo, stack.tableName), normalizers };
  dynamoPort = stack.dynamoEmulator.port;
  for (const record of RECORDS) await stack.store.putRecord(record, 0);
});
afterAll(async () => {
  await stack.stop();
});

// Pages of 4 items: every list below spans several DynamoDB pages.
const list = (filters: Omit<ListFilters, 'limit'> & { limit?: number }, now = '2026-01-20T00:00:00.000Z') =>
  listCalls(reader, { limit: 100, ...filters }, { pageSize: 4, now: () => new Date(now) }).then((records) =>
    records.map((r) => r.callId),
  );
const bound = (key: string, instant: string) => ({ key, instant: Date.parse(instant) });

describe('calls list', () => {
  it('finds a number on either side of the call, once per call, newest first', async () => {
    // Act
    const found = await list({ number: ALICE });

    // Assess
    expect(found).toEqual(expected((r) => r.from === ALICE || r.to === ALICE));
    expect(found).toContain('call-10'); // Alice on both sides
    expect(new Set(found).size).toBe(found.length);
  });

  it('filters by outcome and provider on the index, across empty pages', async () => {
    // Act
    const noAnswer = await list({ number: ALICE, outcome: 'no_answer' });
    const bandwidthBusy = await list({ provider: 'bandwidth', outcome: 'busy' });

    // Assess
    expect(noAnswer).toEqual(
      expected((r) => (r.from === ALICE || r.to === ALICE) && r.outcome === 'no_answer'),
    );
    expect(noAnswer.length).toBeGreaterThan(0);
    expect(bandwidthBusy).toEqual(expected((r) => r.provider === 'bandwidth' && r.outcome === 'busy'));
    expect(bandwidthBusy.length).toBeGreaterThan(0);
  });

  it('lists an agent, a batch, and an agent within a batch', async () => {
    // Act
    const agent = await list({ agent: 'agent-b' });
    const batch = await list({ batch: 'batch-1' });
    const both = await list({ agent: 'agent-a', batch: 'batch-2', limit: 3 });
    const numberAndAgent = await list({ number: ALICE, agent: 'agent-a' });

    // Assess
    expect(agent).toEqual(expected((r) => r.details.agentId === 'agent-b'));
    expect(batch).toEqual(expected((r) => r.details.batchId === 'batch-1'));
    expect(both).toEqual(
      expected((r) => r.details.agentId === 'agent-a' && r.details.batchId === 'batch-2', 3),
    );
    expect(both).toHaveLength(3);
    expect(numberAndAgent).toEqual(
      expected((r) => (r.from === ALICE || r.to === ALICE) && r.details.agentId === 'agent-a'),
    );
  });

  it('walks the days of the last 30 by default, merging their shards', async () => {
    // Act
    const recent = await list({});
    const later = await list({}, '2026-03-01T00:00:00.000Z');

    // Assess
    expect(recent).toEqual(expected(() => true));
    expect(recent).toHaveLength(30);
    expect(later).toEqual([]);
  });

  it('keeps to --since/--until, dates inclusive, instants inclusive at the edge', async () => {
    // Prepare
    const first = RECORDS[9]?.endedAt as string;
    const last = RECORDS[14]?.endedAt as string;

    // Act
    const days = await list({
      since: bound('2026-01-03', '2026-01-03T00:00:00Z'),
      until: bound('2026-01-05', '2026-01-05T23:59:59.999Z'),
    });
    const instants = await list({ since: bound(first, first), until: bound(last, last) });
    const numberSince = await list({ number: BOB, since: bound('2026-01-07', '2026-01-07T00:00:00Z') });

    // Assess
    expect(days).toEqual(
      expected((r) => (r.endedAt ?? '') >= '2026-01-03' && (r.endedAt ?? '') < '2026-01-06'),
    );
    expect(days.length).toBeGreaterThan(4);
    expect(instants).toEqual(expected((r) => (r.endedAt ?? '') >= first && (r.endedAt ?? '') <= last));
    expect(instants).toEqual(['call-14', 'call-13', 'call-12', 'call-11', 'call-10', 'call-09']);
    expect(numberSince).toEqual(expected((r) => r.to === BOB && (r.endedAt ?? '') >= '2026-01-07'));
  });

  it('stops at --limit, newest first', async () => {
    // Act
    const newest = await list({ limit: 25 });
    const alice = await list({ number: ALICE, limit: 3 });

    // Assess
    expect(newest).toEqual(expected(() => true, 25));
    expect(alice).toEqual(expected((r) => r.from === ALICE || r.to === ALICE, 3));
  });
});

describe('calls get and raw', () => {
  it('rebuilds details that did not fit the item from the raw delivery', async () => {
    // Prepare
    const payload = callkaroCallEnded();
    // Incompressible: even Brotli-compressed it does not fit the record item.
    const transcription = randomBytes(400_000).toString('base64');
    Object.assign(payload.data, { callSid: 'long-call', transcription });
    const poller = await stack.startPoller();
    expect((await stack.callkaro(callkaroRequest(payload))).statusCode).toBe(200);
    await poller.drain();

    // Act
    const stored = await stack.store.getRecord('callkaro', 'long-call');
    const record = await getCall(reader, 'callkaro', 'long-call');
    const raw = await getRawDeliveries(reader, 'callkaro', 'long-call');

    // Assess
    expect(stored?.detailsTruncated).toBe(true);
    expect(stored?.record.details.transcription).toBeUndefined();
    expect(record?.details.transcription).toBe(transcription);
    expect(record?.details.agentId).toBe('6803fa770b666a64ab1694c1e');
    expect(raw).toEqual([
      {
        deliveryId: expect.any(String),
        receivedAt: expect.any(String),
        eventType: 'call_ended',
        body: JSON.stringify(payload),
      },
    ]);
  });
});

describe('npm run calls', () => {
  const runWith = async (env: NodeJS.ProcessEnv, argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCalls(argv, { env, out: (text) => out.push(text), err: (text) => err.push(text) });
    return { code, out: out.join(''), err: err.join('') };
  };
  const run = (...argv: string[]) => runWith({ DYNAMODB_PORT: String(dynamoPort) }, argv);

  it('prints the records of a list as JSON', async () => {
    // Act
    const { code, out, err } = await run('list', '--table', stack.tableName, '--agent', 'agent-a', '--json');

    // Assess
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(JSON.parse(out).map((r: CallRecord) => r.callId)).toEqual(
      expected((r) => r.details.agentId === 'agent-a'),
    );
  });

  it('prints one record for get', async () => {
    // Act
    const { code, out } = await run('get', 'bandwidth', 'call-03', '--table', stack.tableName, '--json');

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual(RECORDS[3]);
  });

  it('exits 1 with a message when the call does not exist', async () => {
    // Act
    const get = await run('get', 'callkaro', 'no-such-call', '--table', stack.tableName);
    const raw = await run('raw', 'callkaro', 'no-such-call', '--table', stack.tableName, '--json');

    // Assess
    expect(get).toEqual({
      code: 1,
      out: '',
      err: `no callkaro call no-such-call in ${stack.tableName} at http://127.0.0.1:${dynamoPort}\n`,
    });
    expect(raw.code).toBe(1);
    expect(raw.out).toBe('');
    expect(raw.err).toMatch(/no deliveries stored for callkaro call no-such-call/);
  });

  it('exits 2 with one line on stderr for bad arguments: what is wrong and where the usage is', async () => {
    // Act
    const bad = await run('list', '--limit', 'lots');
    const typo = await run('list', '--numbr', '+14155550123');
    const none = await run();

    // Assess
    expect(bad).toEqual({
      code: 2,
      out: '',
      err: 'error: --limit lots: a whole number from 1 to 100000; see npm run -s calls -- --help\n',
    });
    expect(typo).toEqual({
      code: 2,
      out: '',
      err: 'error: unknown option --numbr (did you mean --number?); see npm run -s calls -- --help\n',
    });
    expect(none.code).toBe(2);
    expect(none.err).toBe('error: no command given: one of get, raw, list; see npm run -s calls -- --help\n');
  });

  it('prints the usage on stdout for --help, exit 0', async () => {
    // Act
    const help = await run('--help');

    // Assess
    expect(help.code).toBe(0);
    expect(help.err).toBe('');
    expect(help.out).toMatch(/^usage: npm run -s calls -- <command> \[options\]\n/);
  });

  it('says on stderr that E.164 needs the + and country code when a number without + finds nothing', async () => {
    // Act
    const bare = await run('list', '--number', '4155550123', '--table', stack.tableName, '--json');
    const found = await run('list', '--number', ALICE.slice(1), '--table', stack.tableName, '--json');

    // Assess
    expect(bare).toEqual({
      code: 0,
      out: '[]\n',
      err: '(--number 4155550123 is not an E.164 number: searched for exactly that text; E.164 is + and the country code, then the number: +1… for the US and Canada, +91… for India)\n',
    });
    expect(found.code).toBe(0);
    expect(JSON.parse(found.out).length).toBeGreaterThan(0);
    expect(found.err).toBe('');
    expect(numberHint('919876543210', '+919876543210')).toBe(
      '(--number 919876543210 has no +: searched for +919876543210; E.164 is + and the country code, then the number: +1… for the US and Canada, +91… for India)',
    );
  });

  it('exits 1 saying what to do when the table or DynamoDB is not there', async () => {
    // Act
    const noTable = await run('list', '--number', ALICE);
    const unreachable = await runWith({ DYNAMODB_PORT: '9' }, ['get', 'callkaro', 'x']);

    // Assess
    expect(noTable.code).toBe(1);
    expect(noTable.err).toMatch(
      /^error: table call-intake-local-calls not found at http:\/\/127\.0\.0\.1:\d+ \(is npm start running/,
    );
    expect(unreachable).toEqual({
      code: 1,
      out: '',
      err: 'error: cannot reach DynamoDB at http://127.0.0.1:9 (ECONNREFUSED): is npm start running? Set DYNAMODB_PORT, AWS_ENDPOINT_URL_DYNAMODB, or use --stage\n',
    });
  });
});
