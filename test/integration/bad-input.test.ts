/**
 * A corpus of hostile and malformed requests through the real webhook handlers on the emulator
 * stack. Rejected requests get their exact 4xx and a one-line reason with no secret in it, and
 * leave nothing in the queue or the table; odd but valid requests are acknowledged and their raw
 * body is kept byte for byte. Durations are recorded per case and only summarised, never asserted.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../lib/envelope';
import { toHttpApiEvent } from '../../lib/local/api-gateway';
import type { QueuePoller } from '../../lib/local/poller';
import { bandwidthHangup, callkaroCallEnded, rawFixture } from '../fixtures';
import { receiveAny, scanAll } from '../support/faults';
import { bandwidthRequest, basic, callkaroRequest, jsonBody } from '../support/requests';
import { BANDWIDTH_SECRETS, CALLKARO_SECRETS, startTestStack, type TestStack } from '../support/stack';

type Provider = 'bandwidth' | 'callkaro';

const VALID_BASIC = basic(BANDWIDTH_SECRETS[0]);
const VALID_TOKEN = CALLKARO_SECRETS[0];
/** Every secret and every piece of one: none may appear in a response. */
const SECRET_TEXTS = [
  ...BANDWIDTH_SECRETS.flatMap((s) => [s, ...s.split(':'), Buffer.from(s).toString('base64')]),
  ...CALLKARO_SECRETS,
];

const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

/** A bandwidth request with arbitrary headers (arrays are joined by a comma, as API Gateway does). */
function bandwidthWith(
  headers: Record<string, string | string[]>,
  body: string | Buffer,
): APIGatewayProxyEventV2 {
  return toHttpApiEvent({
    method: 'POST',
    path: '/webhooks/bandwidth',
    route: '/webhooks/bandwidth',
    headers,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
  });
}

/** Valid JSON of exactly `bytes` bytes: `base` plus an ASCII padding field. */
function jsonOfSize(base: Record<string, unknown>, bytes: number): string {
  const empty = JSON.stringify({ ...base, padding: '' });
  const text = JSON.stringify({ ...base, padding: 'x'.repeat(bytes - Buffer.byteLength(empty)) });
  if (Buffer.byteLength(text) !== bytes) throw new Error(`padding missed ${bytes} bytes`);
  return text;
}

const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const hangupOf = (callId: string) => JSON.stringify({ ...bandwidthHangup(), callId });
const callEndedWith = (data: Record<string, unknown>) => {
  const body = callkaroCallEnded();
  return JSON.stringify({ ...body, data: { ...body.data, ...data } });
};
const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

interface RejectedCase {
  name: string;
  provider: Provider;
  event: () => APIGatewayProxyEventV2;
  status: number;
  reason: RegExp;
}

const bw = (name: string, status: number, reason: RegExp, event: () => APIGatewayProxyEventV2) =>
  ({ name, provider: 'bandwidth', event, status, reason }) satisfies RejectedCase;
const ck = (name: string, status: number, reason: RegExp, event: () => APIGatewayProxyEventV2) =>
  ({ name, provider: 'callkaro', event, status, reason }) satisfies RejectedCase;

const NOT_JSON = /^body is not valid JSON$/;
const NOT_UTF8 = /^body is not valid UTF-8$/;
const NOT_OBJECT = /^body is not a JSON object$/;
const BW_CREDENTIALS = /^missing or invalid credentials$/;
const CK_TOKEN = /^missing or invalid token$/;
const TOO_LARGE = /^body is larger than 1045504 bytes$/;
const octets = { contentType: 'application/octet-stream' };

const rejected: RejectedCase[] = [
  // Not JSON, or not a JSON object
  bw('truncated JSON', 400, NOT_JSON, () => bandwidthRequest(rawFixture('bandwidth', 'hangup').slice(0, 60))),
  ck('truncated JSON', 400, NOT_JSON, () =>
    callkaroRequest(rawFixture('callkaro', 'call-ended').slice(0, -2)),
  ),
  bw('a stray 0xFF byte (base64 body)', 400, NOT_UTF8, () =>
    bandwidthRequest(bytes('{"eventType":"hangup","callId":"', [0xff], '"}'), octets),
  ),
  ck('an overlong encoding of "/" (base64 body)', 400, NOT_UTF8, () =>
    callkaroRequest(bytes('{"event":"call_ended","data":{"callSid":"a', [0xc0, 0xaf], '"}}'), octets),
  ),
  ck('a UTF-8-encoded lone surrogate (base64 body)', 400, NOT_UTF8, () =>
    callkaroRequest(bytes('{"event":"call_ended","data":{"callSid":"', [0xed, 0xa0, 0x80], '"}}'), octets),
  ),
  bw('a multi-byte sequence cut at the end (base64 body)', 400, NOT_UTF8, () =>
    bandwidthRequest(bytes(hangupOf('cut'), [0xe0, 0xa4]), octets),
  ),
  // RFC 8259 lets a parser refuse a BOM; the consumer parses the same bytes, so refuse it up front.
  bw('a UTF-8 byte order mark', 400, NOT_JSON, () =>
    bandwidthRequest(bytes([0xef, 0xbb, 0xbf], hangupOf('bom')), octets),
  ),
  ck('a UTF-8 byte order mark', 400, NOT_JSON, () =>
    callkaroRequest(bytes([0xef, 0xbb, 0xbf], rawFixture('callkaro', 'call-ended'))),
  ),
  bw('a JSON array', 400, NOT_OBJECT, () => bandwidthRequest(`[${hangupOf('arr')}]`)),
  ck('a JSON string', 400, NOT_OBJECT, () => callkaroRequest('"call_ended"')),
  bw('a JSON number', 400, NOT_OBJECT, () => bandwidthRequest('12345678901234567890')),
  ck('JSON null', 400, NOT_OBJECT, () => callkaroRequest('null')),
  bw('an empty body', 400, /^body is empty$/, () => bandwidthRequest('')),
  ck('an empty body', 400, /^body is empty$/, () => callkaroRequest('')),
  ck('a body of whitespace', 400, /^body is empty$/, () => callkaroRequest(' \r\n\t ')),
  // Event type and call id: own properties only, never from a prototype
  bw('no eventType', 400, /^body has no eventType$/, () => bandwidthRequest({ callId: 'c-1' })),
  bw('an eventType that is not a string', 400, /^body has no eventType$/, () =>
    bandwidthRequest({ eventType: ['hangup'], callId: 'c-1' }),
  ),
  ck('no event', 400, /^body has no event$/, () => callkaroRequest({ data: { callSid: 'c-1' } })),
  ck('an empty event', 400, /^body has no event$/, () =>
    callkaroRequest({ event: '', data: { callSid: 'x' } }),
  ),
  bw('eventType only under __proto__', 400, /^body has no eventType$/, () =>
    bandwidthRequest('{"__proto__":{"eventType":"hangup","callId":"p-1"}}'),
  ),
  ck('event only under __proto__', 400, /^body has no event$/, () =>
    callkaroRequest('{"__proto__":{"event":"call_ended","data":{"callSid":"p-2"}}}'),
  ),
  bw('a hangup without callId', 400, /^hangup event has no callId$/, () => {
    const { callId: _omitted, ...body } = bandwidthHangup();
    return bandwidthRequest(body);
  }),
  bw('an answer with an empty callId', 400, /^answer event has no callId$/, () =>
    bandwidthRequest({ eventType: 'answer', callId: '', time: '2024-03-01T10:00:00Z' }),
  ),
  bw('a hangup whose callId is a number', 400, /^callId is not a string$/, () =>
    bandwidthRequest({ eventType: 'hangup', callId: 42 }),
  ),
  bw('a callId of 201 characters', 400, /^callId is longer than 200 characters$/, () =>
    bandwidthRequest({ eventType: 'hangup', callId: 'c'.repeat(201) }),
  ),
  bw('a hangup whose callId hides under constructor.prototype', 400, /^hangup event has no callId$/, () =>
    bandwidthRequest('{"eventType":"hangup","constructor":{"prototype":{"callId":"p-3"}}}'),
  ),
  bw('duplicate callId keys, the last one null', 400, /^hangup event has no callId$/, () =>
    bandwidthRequest('{"eventType":"hangup","callId":"dup-1","callId":null}'),
  ),
  ck('a call_ended without data', 400, /^call_ended event has no data.callSid$/, () =>
    callkaroRequest({ event: 'call_ended' }),
  ),
  ck('a call_ended without callSid', 400, /^call_ended event has no data.callSid$/, () => {
    const body = callkaroCallEnded();
    delete body.data.callSid;
    return callkaroRequest(body);
  }),
  ck('a call_ended with data null', 400, /^call_ended event has no data.callSid$/, () =>
    callkaroRequest({ event: 'call_ended', data: null }),
  ),
  ck('a call_ended whose callSid is a number', 400, /^call_ended event data.callSid is not a string$/, () =>
    callkaroRequest(callEndedWith({ callSid: 2303 })),
  ),
  ck(
    'a call_ended whose callSid hides under data.__proto__',
    400,
    /^call_ended event has no data.callSid$/,
    () => callkaroRequest('{"event":"call_ended","data":{"__proto__":{"callSid":"p-4"}}}'),
  ),
  // Method
  bw('GET', 405, /^only POST is accepted$/, () => bandwidthRequest(hangupOf('m-1'), { method: 'GET' })),
  bw('PUT', 405, /^only POST is accepted$/, () => bandwidthRequest(hangupOf('m-2'), { method: 'PUT' })),
  ck('GET', 405, /^only POST is accepted$/, () => callkaroRequest(callEndedWith({}), { method: 'GET' })),
  ck('PUT', 405, /^only POST is accepted$/, () => callkaroRequest(callEndedWith({}), { method: 'PUT' })),
  // HTTP Basic
  bw('no Authorization header', 401, BW_CREDENTIALS, () =>
    bandwidthRequest(hangupOf('a-1'), { authorization: '' }),
  ),
  bw('a Basic value that is not base64', 401, BW_CREDENTIALS, () =>
    bandwidthRequest(hangupOf('a-2'), { authorization: 'Basic !!bw-user:bw-pass!!' }),
  ),
  bw('credentials in plain text', 401, BW_CREDENTIALS, () =>
    bandwidthRequest(hangupOf('a-3'), { authorization: `Basic ${BANDWIDTH_SECRETS[0]}` }),
  ),
  bw('credentials without a colon', 401, BW_CREDENTIALS, () =>
    bandwidthRequest(hangupOf('a-4'), { authorization: basic(BANDWIDTH_SECRETS[0].replace(':', '')) }),
  ),
  bw('the right credentials under the Bearer scheme', 401, BW_CREDENTIALS, () =>
    bandwidthRequest(hangupOf('a-5'), { authorization: VALID_BASIC.replace('Basic', 'Bearer') }),
  ),
  bw('the scheme alone', 401, BW_CREDENTIALS, () =>
    bandwidthRequest(hangupOf('a-6'), { authorization: 'Basic ' }),
  ),
  bw('the right user with a wrong password', 401, BW_CREDENTIALS, () =>
    bandwidthRequest(hangupOf('a-7'), { authorization: basic('bw-user:wrong') }),
  ),
  bw('user of one secret, password of the other', 401, BW_CREDENTIALS, () =>
    bandwidthRequest(hangupOf('a-8'), { authorization: basic('bw-user:next-pass') }),
  ),
  bw('the password with a trailing newline', 401, BW_CREDENTIALS, () =>
    bandwidthRequest(hangupOf('a-9'), { authorization: basic(`${BANDWIDTH_SECRETS[0]}\n`) }),
  ),
  // Header smuggling
  bw('two Authorization values joined by a comma (right, right)', 401, BW_CREDENTIALS, () =>
    bandwidthWith({ authorization: [VALID_BASIC, VALID_BASIC] }, hangupOf('s-1')),
  ),
  bw('two Authorization values joined by a comma (wrong, right)', 401, BW_CREDENTIALS, () =>
    bandwidthWith({ authorization: [basic('bw-user:wrong'), VALID_BASIC] }, hangupOf('s-2')),
  ),
  bw('two Authorization values joined by a comma (right, wrong)', 401, BW_CREDENTIALS, () =>
    bandwidthWith({ authorization: [VALID_BASIC, 'Bearer x'] }, hangupOf('s-3')),
  ),
  bw('CR LF and a second header in the value', 401, BW_CREDENTIALS, () =>
    bandwidthWith({ authorization: `${VALID_BASIC}\r\nX-Forwarded-For: 10.0.0.1` }, hangupOf('s-4')),
  ),
  bw('a trailing CR LF', 401, BW_CREDENTIALS, () =>
    bandwidthWith({ authorization: `${VALID_BASIC}\r\n` }, hangupOf('s-5')),
  ),
  bw('a bare LF inside the value', 401, BW_CREDENTIALS, () =>
    bandwidthWith({ authorization: VALID_BASIC.replace(' ', '\n') }, hangupOf('s-6')),
  ),
  bw('credentials followed by another token', 401, BW_CREDENTIALS, () =>
    bandwidthWith({ authorization: `${VALID_BASIC} realm=x` }, hangupOf('s-7')),
  ),
  bw('a header named "authorization " (trailing space)', 401, BW_CREDENTIALS, () =>
    bandwidthWith({ 'authorization ': VALID_BASIC, 'content-type': 'application/json' }, hangupOf('s-8')),
  ),
  bw('the credentials in another header', 401, BW_CREDENTIALS, () =>
    bandwidthWith({ 'x-authorization': VALID_BASIC, 'proxy-authorization': VALID_BASIC }, hangupOf('s-9')),
  ),
  // CallKaro token
  ck('an empty token', 401, CK_TOKEN, () => callkaroRequest(callEndedWith({}), { token: '' })),
  ck('no token path parameter', 401, CK_TOKEN, () =>
    toHttpApiEvent({
      method: 'POST',
      path: '/webhooks/callkaro/',
      route: '/webhooks/callkaro/{token}',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(callEndedWith({})),
    }),
  ),
  ck('%2e%2e', 401, CK_TOKEN, () => callkaroRequest(callEndedWith({}), { token: '%2e%2e' })),
  ck('..', 401, CK_TOKEN, () => callkaroRequest(callEndedWith({}), { token: '..' })),
  ck('the right token fully percent-encoded', 401, CK_TOKEN, () =>
    callkaroRequest(callEndedWith({}), {
      token: [...VALID_TOKEN].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join(''),
    }),
  ),
  ck('the right token with its dashes percent-encoded', 401, CK_TOKEN, () =>
    callkaroRequest(callEndedWith({}), { token: VALID_TOKEN.replaceAll('-', '%2D') }),
  ),
  ck('the right token with a trailing slash', 401, CK_TOKEN, () =>
    callkaroRequest(callEndedWith({}), { token: `${VALID_TOKEN}/` }),
  ),
  ck('the right token with a trailing space', 401, CK_TOKEN, () =>
    callkaroRequest(callEndedWith({}), { token: `${VALID_TOKEN} ` }),
  ),
  ck('the right token with a trailing newline', 401, CK_TOKEN, () =>
    callkaroRequest(callEndedWith({}), { token: `${VALID_TOKEN}\n` }),
  ),
  ck('a prefix of the right token', 401, CK_TOKEN, () =>
    callkaroRequest(callEndedWith({}), { token: VALID_TOKEN.slice(0, -1) }),
  ),
  ck('the right token upper-cased', 401, CK_TOKEN, () =>
    callkaroRequest(callEndedWith({}), { token: VALID_TOKEN.toUpperCase() }),
  ),
  ck('both valid tokens joined by a comma', 401, CK_TOKEN, () =>
    callkaroRequest(callEndedWith({}), { token: CALLKARO_SECRETS.join(',') }),
  ),
  // Size: the limit is checked after authentication and before parsing
  bw('MAX_BODY_BYTES + 1', 413, TOO_LARGE, () =>
    bandwidthRequest(jsonOfSize({ eventType: 'hangup', callId: 'big-1' }, MAX_BODY_BYTES + 1)),
  ),
  ck('MAX_BODY_BYTES + 1', 413, TOO_LARGE, () =>
    callkaroRequest(jsonOfSize(callkaroCallEnded(), MAX_BODY_BYTES + 1)),
  ),
  ck('MAX_BODY_BYTES + 1 that is not even JSON', 413, TOO_LARGE, () =>
    callkaroRequest('{'.repeat(MAX_BODY_BYTES + 1)),
  ),
  // Size before credentials: no signature scheme hashes (or sorts) an oversized unsigned body.
  ck('MAX_BODY_BYTES + 1 with a wrong token', 413, TOO_LARGE, () =>
    callkaroRequest(jsonOfSize(callkaroCallEnded(), MAX_BODY_BYTES + 1), { token: 'nope' }),
  ),
];

interface AcceptedCase {
  name: string;
  provider: Provider;
  event: () => APIGatewayProxyEventV2;
  /** Where the delivery is kept: its call, or (null) a delivery about no call. */
  callId: string | null;
  /** The body as sent, to compare the stored raw body with. */
  raw: string;
  /** The call ended: a record must exist. */
  record: boolean;
}

const BIG_DIGITS = '123456789012345678901234567890';
const NEAR_2_53 = '9007199254740993';
const bigNumbersBody = (() => {
  const fields = rawFixture('callkaro', 'call-ended')
    .replace('"callSid": "2303fa770b666a64ab1694c1e"', '"callSid": "big-numbers"')
    .replace('"call_duration": 120', `"call_duration": ${NEAR_2_53}`)
    .replace('"try_count": 0', `"try_count": ${BIG_DIGITS}`)
    .replace('"age": 25', `"age": 1.0000000000000000000001e400, "id": -${BIG_DIGITS}, "n": ${NEAR_2_53}`);
  if (!fields.includes(`"try_count": ${BIG_DIGITS}`)) throw new Error('fixture layout changed');
  return fields;
})();
const bandwidthBigNumbers = `{"eventType":"hangup","callId":"bw-big","cause":"NORMAL_CLEARING","time":"2024-03-01T10:00:00Z","seq":${BIG_DIGITS},"n":${NEAR_2_53}}`;
const protoKeysRaw = callEndedWith({
  callSid: 'proto-keys',
  call_metadata: JSON.parse(
    '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"}}',
  ),
});
const bandwidthProto =
  '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":1,"eventType":"hangup","callId":"bw-proto","cause":"__proto__","callState":"toString","time":"2024-03-01T10:00:00Z"}';
const deepBody = callEndedWith({ callSid: 'deep-10k' }).replace(
  '"call_metadata":{',
  `"call_metadata":{"deep":${deep(10_000)},`,
);
// V8's JSON.parse is iterative and takes any depth; JSON.stringify overflows long before this.
const deepest = callEndedWith({ callSid: 'deep-500k' }).replace(
  '"call_metadata":{',
  `"call_metadata":{"deep":${deep(500_000)},`,
);
const exactlyMax = jsonOfSize(
  { eventType: 'hangup', callId: 'exactly-max', time: '2024-03-01T10:00:00Z' },
  MAX_BODY_BYTES,
);

const ok = (
  name: string,
  provider: Provider,
  raw: string,
  callId: string | null,
  event: (raw: string) => APIGatewayProxyEventV2,
  record = true,
): AcceptedCase => ({ name, provider, raw, callId, record, event: () => event(raw) });

const accepted: AcceptedCase[] = [
  ok('numbers past 2^53 (CallKaro)', 'callkaro', bigNumbersBody, 'big-numbers', callkaroRequest),
  ok('numbers past 2^53 (Bandwidth)', 'bandwidth', bandwidthBigNumbers, 'bw-big', bandwidthRequest),
  ok('10,000-deep nesting inside call_metadata', 'callkaro', deepBody, 'deep-10k', callkaroRequest),
  ok('500,000-deep nesting inside call_metadata', 'callkaro', deepest, 'deep-500k', callkaroRequest),
  ok(
    '__proto__ / constructor / prototype keys in call_metadata',
    'callkaro',
    protoKeysRaw,
    'proto-keys',
    callkaroRequest,
  ),
  ok(
    'a "constructor" key alone in details (the SDK marshaller keys on it)',
    'callkaro',
    callEndedWith({
      callSid: 'constructor-key',
      call_metadata: { constructor: 'crm-7' },
      post_call: { constructor: { name: 'Set' } },
      post_call_detail: { constructor: { name: 'Number' } },
    }),
    'constructor-key',
    callkaroRequest,
  ),
  ok(
    '__proto__ / constructor / prototype keys at the top',
    'bandwidth',
    bandwidthProto,
    'bw-proto',
    bandwidthRequest,
  ),
  ok('a callId of "__proto__"', 'bandwidth', hangupOf('__proto__'), '__proto__', bandwidthRequest),
  // SQS refuses U+FFFE/U+FFFF; as JSON escapes they pass the body check but land in the header.
  ok(
    'a callId with an escaped U+FFFF',
    'bandwidth',
    JSON.stringify({ ...bandwidthHangup(), callId: 'c-\uffff' }).replace('\uffff', '\\uffff'),
    'c-\uffff',
    bandwidthRequest,
  ),
  ok(
    'an event type with an escaped U+FFFE',
    'callkaro',
    '{"event":"x\\ufffe","data":{"callSid":"fffe-event"}}',
    'fffe-event',
    callkaroRequest,
    false,
  ),

  ok(
    'a callSid of "constructor"',
    'callkaro',
    callEndedWith({ callSid: 'constructor' }),
    'constructor',
    callkaroRequest,
  ),
  // JSON.parse keeps the last duplicate; the consumer parses the same bytes, so both agree.
  ok(
    'duplicate callId keys (the last one wins)',
    'bandwidth',
    '{"eventType":"hangup","callId":"dup-first","callId":"dup-last","time":"2024-03-01T10:00:00Z"}',
    'dup-last',
    bandwidthRequest,
  ),
  ok('Content-Type text/plain', 'callkaro', callEndedWith({ callSid: 'text-plain' }), 'text-plain', (raw) =>
    callkaroRequest(raw, { contentType: 'text/plain' }),
  ),
  ok('no Content-Type (base64 body)', 'bandwidth', hangupOf('no-type'), 'no-type', (raw) =>
    bandwidthWith({ authorization: VALID_BASIC }, raw),
  ),
  ok('Content-Type application/x-www-form-urlencoded', 'bandwidth', hangupOf('form'), 'form', (raw) =>
    bandwidthRequest(raw, { contentType: 'application/x-www-form-urlencoded' }),
  ),
  // RFC 7235: credentials = auth-scheme 1*SP token68, and the scheme is case-insensitive.
  ok('extra spaces after "Basic" and at the end', 'bandwidth', hangupOf('spaces'), 'spaces', (raw) =>
    bandwidthRequest(raw, { authorization: VALID_BASIC.replace(' ', '   ').concat('  ') }),
  ),
  ok('a lower-case scheme and the next secret', 'bandwidth', hangupOf('next'), 'next', (raw) =>
    bandwidthRequest(raw, { authorization: basic(BANDWIDTH_SECRETS[1]).replace('Basic', 'basic') }),
  ),
  ok(
    'an unknown CallKaro event with no call',
    'callkaro',
    '{"event":"call_queued","data":{}}',
    null,
    callkaroRequest,
    false,
  ),
  ok('exactly MAX_BODY_BYTES of valid JSON', 'bandwidth', exactlyMax, 'exactly-max', bandwidthRequest),
];

const durations: { name: string; status: number; ms: number }[] = [];

async function send(stack: TestStack, provider: Provider, event: APIGatewayProxyEventV2, name: string) {
  const started = performance.now();
  const response = await stack[provider](event);
  durations.push({ name, status: response.statusCode ?? 0, ms: performance.now() - started });
  return response;
}

afterAll(() => {
  // "Response time unaffected" is observed, not asserted: timings on a shared 2-core box are noise.
  const byStatus = new Map<number, number[]>();
  for (const d of durations) byStatus.set(d.status, [...(byStatus.get(d.status) ?? []), d.ms]);
  const summary = [...byStatus].map(([status, ms]) => {
    const sorted = ms.sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]?.toFixed(1);
    return `${status}: n=${sorted.length} p50=${at(0.5)}ms max=${at(1)}ms`;
  });
  const slowest = [...durations].sort((a, b) => b.ms - a.ms).slice(0, 3);
  console.info(
    `bad-input handler durations — ${summary.join('; ')}; slowest: ${slowest.map((d) => `${d.name} ${d.ms.toFixed(0)}ms`).join(', ')}`,
  );
});

describe('rejected requests', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack.stop();
  });

  it.each(rejected)('$provider: $name → $status', async ({ name, provider, event, status, reason }) => {
    // Prepare
    const request = event();
    // What the caller presented (minus the scheme word) must not be echoed either.
    const presented = [
      request.headers.authorization?.replace(/^\S*\s*/, ''),
      request.pathParameters?.token,
    ].filter((v): v is string => typeof v === 'string' && v.trim().length > 3);

    // Act
    const response = await send(stack, provider, request, `${provider} ${name}`);

    // Assess
    expect(response.statusCode).toBe(status);
    expect(response.headers?.['content-type']).toBe('application/json');
    expect(response.body).not.toMatch(/[\r\n]/);
    const body = jsonBody(response);
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toMatch(reason);
    const everything = JSON.stringify(response);
    for (const secret of [...SECRET_TEXTS, ...presented]) expect(everything).not.toContain(secret);
    if (status === 401 && provider === 'bandwidth') {
      expect(response.headers?.['www-authenticate']).toMatch(/^Basic realm=/);
    }
    // Counts, not contents: a failure here must not print request bodies.
    expect((await receiveAny(stack.sqs, stack.queueUrls.queueUrl)).length).toBe(0);
    expect((await scanAll(stack.dynamo, stack.tableName)).length).toBe(0);
  });
});

describe('odd but valid requests', () => {
  let stack: TestStack;
  let poller: QueuePoller;
  beforeAll(async () => {
    stack = await startTestStack();
    poller = await stack.startPoller();
  });
  afterAll(async () => {
    await stack.stop();
  });

  it.each(accepted)(
    '$provider: $name → 200, raw body kept',
    async ({ name, provider, event, raw, callId, record }) => {
      // Prepare
      const request = event();

      // Act
      const response = await send(stack, provider, request, `${provider} ${name}`);
      await poller.drain();

      // Assess
      expect(response.statusCode).toBe(200);
      const { id } = jsonBody(response);
      const deliveries =
        callId === null
          ? [await stack.store.loadOrphanDelivery(provider, id)]
          : await stack.store.loadDeliveries(provider, callId);
      const delivery = deliveries.find((d) => d?.deliveryId === id);
      expect(delivery?.body.length).toBe(raw.length);
      expect(delivery?.body === raw).toBe(true);
      if (record && callId !== null) expect(await stack.store.getRecord(provider, callId)).not.toBeNull();
      expect((await receiveAny(stack.sqs, stack.queueUrls.deadLetterQueueUrl)).length).toBe(0);
    },
  );

  it('keeps the exact digits of numbers past 2^53 in the raw body', async () => {
    // Prepare
    const deliveries = await stack.store.loadDeliveries('callkaro', 'big-numbers');

    // Act
    const body = deliveries[0]?.body ?? '';

    // Assess
    expect(body).toContain(`"try_count": ${BIG_DIGITS}`);
    expect(body).toContain(`"call_duration": ${NEAR_2_53}`);
    expect(body).toContain(`"id": -${BIG_DIGITS}`);
    expect(String(JSON.parse(body).data.try_count)).not.toContain(BIG_DIGITS);
    const stored = await stack.store.getRecord('callkaro', 'big-numbers');
    // A duration past the sanity bound is unusable: null, and no endedAt derived from it.
    expect(stored?.record.durationSeconds).toBeNull();
    expect(stored?.record.endedAt).toBeNull();
    expect(stored?.record.details.tryCount).toBe('1.2345678901234568e+29');
  });

  it('leaves Object.prototype untouched after every __proto__ / constructor / prototype payload', () => {
    // Prepare
    // biome-ignore lint/suspicious/noExplicitAny: probing for pollution on a bare object
    const probe = {} as any;

    // Act
    const names = Object.getOwnPropertyNames(Object.prototype).sort();

    // Assess
    expect(probe.polluted).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
    expect(names).toEqual(prototypeBefore);
  });
});
