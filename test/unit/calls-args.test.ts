import { describe, expect, it } from 'vitest';
import { parseCallsArgs, parseTimeBound, UsageError } from '../../lib/calls/args';
import { resolveTarget } from '../../lib/calls/target';

const PROVIDERS = ['bandwidth', 'callkaro', 'twilio'];
const parse = (...argv: string[]) => parseCallsArgs(argv, PROVIDERS);

describe('calls arguments', () => {
  it('reads get and raw with their provider and call id', () => {
    // Act
    const get = parse('get', 'callkaro', '2303fa770b666a64ab1694c1e', '--json');
    const raw = parse('raw', 'bandwidth', '{callId}');

    // Assess
    expect(get).toEqual({
      command: 'get',
      provider: 'callkaro',
      callId: '2303fa770b666a64ab1694c1e',
      json: true,
      target: {},
    });
    expect(raw).toMatchObject({ command: 'raw', provider: 'bandwidth', callId: '{callId}', json: false });
  });

  it('reads every list filter, normalizing the number as records store it', () => {
    // Act
    const list = parse(
      'list',
      '--number',
      '919876543210',
      '--agent',
      'agent-1',
      '--batch',
      'batch-1',
      '--provider',
      'callkaro',
      '--outcome',
      'no_answer',
      '--since',
      '2025-12-01',
      '--until',
      '2025-12-19T16:01:07+05:30',
      '--limit',
      '5',
      '--stage',
      'prod',
    );

    // Assess
    expect(list).toEqual({
      command: 'list',
      json: false,
      target: { stage: 'prod' },
      filters: {
        number: '+919876543210',
        agent: 'agent-1',
        batch: 'batch-1',
        provider: 'callkaro',
        outcome: 'no_answer',
        since: { key: '2025-12-01', instant: Date.UTC(2025, 11, 1) },
        until: { key: '2025-12-19T10:31:07.000Z', instant: Date.UTC(2025, 11, 19, 10, 31, 7) },
        limit: 5,
      },
      numberWithoutPlus: '919876543210',
    });
  });

  it('defaults list to 100 calls and no other filter', () => {
    // Act
    const list = parse('list');

    // Assess
    expect(list).toEqual({ command: 'list', json: false, target: {}, filters: { limit: 100 } });
  });

  it('asks for help with -h or --help', () => {
    // Act & Assess
    expect(parse('-h')).toEqual({ command: 'help' });
    expect(parse('list', '--help')).toEqual({ command: 'help' });
    // Help wins over a mistake on the same line.
    expect(parse('list', '--numbr', '--help')).toEqual({ command: 'help' });
  });

  it.each([
    [[], /no command/],
    [['scan'], /unknown command scan/],
    [['get', 'callkaro'], /get takes <provider> <callId>/],
    [['get', 'callkaro', 'a', 'b'], /get takes <provider> <callId>/],
    [['get', 'acme', 'a'], /unknown provider acme/],
    [['raw', 'callkaro', 'a', '--number', '+1'], /--number is a list option/],
    [['list', '--bogus'], /^unknown option --bogus$/],
    [['list', '--numbr', '+1'], /^unknown option --numbr \(did you mean --number\?\)$/],
    [['lsit'], /^unknown command lsit \(did you mean list\?\); commands: get, raw, list$/],
    [['get', 'twillio', 'a'], /^unknown provider twillio \(did you mean twilio\?\); known: /],
    [['list', 'extra'], /list takes no operands/],
    [['list', '--limit', '0'], /--limit 0/],
    [['list', '--limit', '2.5'], /--limit 2.5/],
    [['list', '--limit'], /^--limit needs a value$/],
    [['list', '--number', '--json'], /^--number needs a value$/],
    [['list', '--outcome', 'answered'], /--outcome answered: one of completed/],
    [['list', '--provider', 'acme'], /unknown provider acme/],
    [['list', '--since', 'yesterday'], /--since yesterday: expected an ISO date/],
    [['list', '--until', '2025-02-30'], /--until 2025-02-30/],
    [['list', '--since', '2025-12-19', '--until', '2025-12-18'], /--since is after --until/],
    [['list', '--agent', ''], /--agent is empty/],
    [['list', '--stage', 'prod/x'], /--stage prod\/x/],
    [['list', '--json=yes'], /^--json takes no value$/],
  ])('rejects %j', (argv, message) => {
    // Act & Assess
    expect(() => parse(...argv)).toThrow(UsageError);
    expect(() => parse(...argv)).toThrow(message);
  });
});

describe('time bounds', () => {
  it('keeps a date as a sort-key prefix spanning the whole day', () => {
    // Act
    const since = parseTimeBound('since', '2025-12-19');
    const until = parseTimeBound('until', '2025-12-19');

    // Assess
    expect(since).toEqual({ key: '2025-12-19', instant: Date.parse('2025-12-19T00:00:00.000Z') });
    expect(until).toEqual({ key: '2025-12-19', instant: Date.parse('2025-12-19T23:59:59.999Z') });
  });

  it.each([
    ['2025-12-19T10:30Z', '2025-12-19T10:30:00.000Z'],
    ['2025-12-19T10:30:05', '2025-12-19T10:30:05.000Z'],
    ['2025-12-19T10:30:05.5+05:30', '2025-12-19T05:00:05.500Z'],
    ['2025-12-19T00:30:00-0100', '2025-12-19T01:30:00.000Z'],
    ['2025-12-31T23:30:00-01:00', '2026-01-01T00:30:00.000Z'],
  ])('reads %s as the UTC instant %s', (text, iso) => {
    // Act
    const bound = parseTimeBound('since', text);

    // Assess
    expect(bound).toEqual({ key: iso, instant: Date.parse(iso) });
  });
});

describe('calls target', () => {
  it('talks to the local stack on port 8000 with dummy credentials by default', () => {
    // Act
    const target = resolveTarget({}, {});

    // Assess
    expect(target).toMatchObject({
      tableName: 'call-intake-local-calls',
      where: 'http://127.0.0.1:8000',
      local: true,
      client: {
        endpoint: 'http://127.0.0.1:8000',
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      },
    });
  });

  it('follows DYNAMODB_PORT, then AWS_ENDPOINT_URL_DYNAMODB, with the SDK credential chain when a profile is set', () => {
    // Act
    const port = resolveTarget({ DYNAMODB_PORT: '8123' }, {});
    const endpoint = resolveTarget(
      { DYNAMODB_PORT: '8123', AWS_ENDPOINT_URL_DYNAMODB: 'http://db:4566', AWS_PROFILE: 'dev' },
      { table: 'my-calls' },
    );

    // Assess
    expect(port.client.endpoint).toBe('http://127.0.0.1:8123');
    expect(endpoint).toMatchObject({ tableName: 'my-calls', where: 'http://db:4566', local: false });
    expect(endpoint.client.endpoint).toBe('http://db:4566');
    expect(endpoint.client.credentials).toBeUndefined();
  });

  it('reads a stage from AWS with the SDK configuration', () => {
    // Act
    const target = resolveTarget({ AWS_REGION: 'ap-south-1', DYNAMODB_PORT: '8123' }, { stage: 'prod' });

    // Assess
    expect(target).toEqual({
      tableName: 'call-intake-prod-calls',
      client: { region: 'ap-south-1' },
      where: 'AWS ap-south-1',
      local: false,
    });
  });

  it('rejects a DYNAMODB_PORT that is not a port', () => {
    // Act & Assess
    expect(() => resolveTarget({ DYNAMODB_PORT: 'eight' }, {})).toThrow(UsageError);
  });
});
