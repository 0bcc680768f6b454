/**
 * Command-line arguments for every CLI of the project (calls, redrive, replay, sign, bench, load):
 * node:util's parseArgs with its errors turned into one line that says what is wrong and, for an
 * unknown option, which known one was probably meant (`--numbr` → `did you mean --number?`).
 * A UsageError is printed by usageFailure() as one line plus a hint at `--help`, exit 2.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { printable } from '../printable';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit status of a command given bad arguments (as `aws`, GNU tools and the calls CLI use). */
export const USAGE_EXIT = 2;

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment), for did-you-mean. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The candidate `input` most likely meant: a small edit away (a third of its length, at least 1
 * and at most 3), or the only candidate it is a prefix of. None when two are equally close.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const lower = input.toLowerCase();
  const exact = candidates.find((candidate) => candidate.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  const prefixed = candidates.filter((candidate) => candidate.toLowerCase().startsWith(lower));
  if (lower.length >= 2 && prefixed.length === 1) return prefixed[0];
  const limit = Math.min(3, Math.max(1, Math.floor(input.length / 3)));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  let tie = false;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      [best, bestDistance, tie] = [candidate, distance, false];
    } else if (distance === bestDistance) tie = true;
  }
  return bestDistance <= limit && !tie ? best : undefined;
}

/** ` (did you mean x?)` or nothing. */
export const didYouMean = (input: string, candidates: readonly string[], prefix = ''): string => {
  const guess = closest(input, candidates);
  return guess === undefined ? '' : ` (did you mean ${prefix}${guess}?)`;
};

type Options = NonNullable<ParseArgsConfig['options']>;

/** Finds what parseArgs would reject and says it in one line, before parseArgs gets to say it its way. */
function check(argv: readonly string[], options: Options, allowPositionals: boolean): void {
  const long = Object.keys(options);
  const shorts = new Map(
    Object.entries(options).flatMap(([name, option]) => (option.short ? [[option.short, name]] : [])),
  );
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') return;
    let name: string | undefined;
    let inlineValue = false;
    if (arg.startsWith('--')) {
      const equals = arg.indexOf('=');
      name = arg.slice(2, equals < 0 ? undefined : equals);
      inlineValue = equals >= 0;
      if (!Object.hasOwn(options, name))
        throw new UsageError(`unknown option --${name}${didYouMean(name, long, '--')}`);
    } else if (arg.startsWith('-') && arg.length > 1) {
      const short = arg.slice(1, 2);
      name = shorts.get(short);
      if (name === undefined || arg.length > 2)
        throw new UsageError(`unknown option ${arg}${didYouMean(arg.replace(/^-+/, ''), long, '--')}`);
    } else {
      if (!allowPositionals) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
      continue;
    }
    const option = options[name] as Options[string];
    if (option.type === 'boolean') {
      if (inlineValue) throw new UsageError(`--${name} takes no value`);
      continue;
    }
    if (inlineValue) continue;
    const value = argv[i + 1];
    if (value === undefined || (value.startsWith('-') && value.length > 1 && value !== '-')) {
      // A number like -1 is a value, not an option: parseArgs would reject it, so say how to pass it.
      throw new UsageError(
        value !== undefined && /^-\d/.test(value)
          ? `--${name} ${value}: write --${name}=${value}`
          : `--${name} needs a value`,
      );
    }
    i += 1;
  }
}

/**
 * parseArgs, strict, with one-line UsageErrors: unknown options (with did-you-mean), missing
 * values, values given to flags, unexpected operands.
 */
export function parseCommandLine<T extends Options>(
  argv: readonly string[],
  options: T,
  { allowPositionals = false }: { allowPositionals?: boolean } = {},
) {
  check(argv, options, allowPositionals);
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals });
  } catch (error) {
    // Whatever check() did not foresee: parseArgs's message, on one line.
    throw new UsageError((error as Error).message.split('\n')[0] ?? String(error));
  }
}

/** Whether `argv` asks for help (before anything else is checked: `--help` always works). */
export const wantsHelp = (argv: readonly string[]): boolean => {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
};

/**
 * The one line for a bad argument: what is wrong, and where the usage is (`command` as the docs
 * show it, e.g. `npm run -s calls --`). What the user typed is escaped: it stays one line.
 */
export const usageLine = (command: string, message: string): string =>
  `error: ${printable(message)}; see ${command} --help\n`;
