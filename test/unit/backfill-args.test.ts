/** `npm run backfill` with bad arguments: one line that says what is wrong and where the usage is, exit 2. */
import { describe, expect, it } from 'vitest';
import { backfillCommand } from '../../lib/backfill';

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await backfillCommand(argv, {
    stdout: { write: (text: string) => out.push(text) > 0 },
    stderr: { write: (text: string) => err.push(text) > 0 },
    env: {},
  });
  return { code, out: out.join(''), err: err.join('') };
}

describe('backfill arguments', () => {
  it.each([
    [
      ['--provider', 'twilio', '--sinc', '2026-11-01'],
      /^error: unknown option --sinc \(did you mean --since\?\); see npm run -s backfill -- --help\n$/,
    ],
    [
      ['--provider', 'twillio', '--since', '2026-11-01'],
      /^error: unknown provider twillio \(did you mean twilio\?\).*; see npm run -s backfill -- --help\n$/,
    ],
    [['--provider', 'twilio'], /^error: --since is required; see npm run -s backfill -- --help\n$/],
    [
      ['--provider', 'twilio', '--since', 'yesterday'],
      /^error: .*--since.*; see npm run -s backfill -- --help\n$/,
    ],
    [['--since', '2026-11-01'], /^error: --provider is required; see npm run -s backfill -- --help\n$/],
  ])('%j: one line, exit 2, nothing on stdout', async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.out).toBe('');
  });

  it('--help prints the usage on stdout and exits 0, whatever else is wrong', async () => {
    const result = await run(['--sinc', '--help']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^usage: npm run -s backfill -- /);
    expect(result.err).toBe('');
  });
});
