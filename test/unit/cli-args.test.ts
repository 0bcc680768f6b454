import { describe, expect, it } from 'vitest';
import { closest, parseCommandLine, UsageError, usageLine, wantsHelp } from '../../lib/cli/args';
import { zoneLines } from '../../lib/ops/commands';

const OPTIONS = {
  number: { type: 'string' },
  provider: { type: 'string' },
  json: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const messageOf = (argv: string[]) => {
  try {
    parseCommandLine(argv, OPTIONS, { allowPositionals: false });
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  return 'no error';
};

describe('command-line arguments', () => {
  it.each([
    [['--numbr', '+1'], 'unknown option --numbr (did you mean --number?)'],
    [['--dryrun'], 'unknown option --dryrun (did you mean --dry-run?)'],
    [['--Json'], 'unknown option --Json (did you mean --json?)'],
    [['--prov', 'x'], 'unknown option --prov (did you mean --provider?)'],
    [['--zzzzzz'], 'unknown option --zzzzzz'],
    [['-x'], 'unknown option -x'],
    [['--number'], '--number needs a value'],
    [['--number', '--json'], '--number needs a value'],
    [['--json=1'], '--json takes no value'],
    [['list'], 'unexpected argument "list"'],
  ])('%j → %s', (argv, message) => {
    // Act & Assess
    expect(messageOf(argv)).toBe(message);
  });

  it('reads what is right as parseArgs does, values that start with - given with =', () => {
    // Act
    const { values } = parseCommandLine(['--number=-1', '--json', '--provider', 'plivo'], OPTIONS);

    // Assess
    expect(values).toEqual({ number: '-1', json: true, provider: 'plivo' });
  });

  it('suggests only a close and unambiguous name', () => {
    // Act & Assess
    expect(closest('twillio', ['twilio', 'telnyx'])).toBe('twilio');
    expect(closest('bandwith', ['bandwidth', 'bandwidth-v2'])).toBe('bandwidth');
    expect(closest('vonage2', ['vonage', 'vapi'])).toBe('vonage');
    expect(closest('xyz', ['vonage', 'vapi'])).toBeUndefined();
  });

  it('finds --help or -h before a --', () => {
    // Act & Assess
    expect(wantsHelp(['list', '--numbr', '-h'])).toBe(true);
    expect(wantsHelp(['--', '--help'])).toBe(false);
  });

  it('says it in one line, control characters escaped', () => {
    // Act & Assess
    expect(usageLine('npm run -s calls --', 'unknown option --a\u001b[2J')).toBe(
      'error: unknown option --a\\u001b[2J; see npm run -s calls -- --help\n',
    );
  });
});

describe('replay: the zones that apply', () => {
  it('names the zone of each provider replayed that has one, as the environment sets it', () => {
    // Act & Assess
    expect(zoneLines(['plivo'], { PLIVO_TIMEZONE: 'Europe/Berlin' })).toEqual([
      'plivo times read in Europe/Berlin (PLIVO_TIMEZONE; use the deployed value)',
    ]);
    expect(zoneLines(['twilio'], {})).toEqual([]);
    expect(zoneLines(undefined, {})).toEqual([
      'callkaro times read in Asia/Kolkata (CALLKARO_TIMEZONE; use the deployed value)',
      'plivo times read in UTC (PLIVO_TIMEZONE; use the deployed value)',
    ]);
  });
});
