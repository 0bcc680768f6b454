/** Small terminal helpers for the operator commands: a text progress bar and value formatting. */
import { printable } from '../printable';

export interface ProgressBar {
  update(done: number, total: number): void;
  /** Ends the bar's line. */
  finish(): void;
}

/**
 * `label [########------------]  12/40` on one rewritten line when `stream` is a terminal; nothing
 * elsewhere (CI, pipes, a log file), where a bar's lines would only bury the result.
 */
export function progressBar(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  width = 30,
): ProgressBar {
  let drawn = false;
  return {
    update(done, total) {
      if (!stream.isTTY) return;
      const ratio = total === 0 ? 1 : Math.min(1, done / total);
      const filled = Math.round(ratio * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}

/**
 * A value for one line of a diff: JSON with every control character escaped, clipped by whole
 * characters (a transcript is not something to print whole).
 */
export function showValue(value: unknown, max = 80): string {
  if (value === undefined) return '∅';
  const chars = [...printable(JSON.stringify(value) ?? String(value))];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('');
}

/**
 * `2025-12-19T10:00:00Z`, `2025-12-19`, … as a Date; throws on anything Date cannot read. A bare
 * day given as an end (`--until 2025-12-19`) means the end of that UTC day.
 */
export function parseTime(text: string, option: string, { endOfDay = false } = {}): Date {
  const time = new Date(text);
  if (Number.isNaN(time.getTime()))
    throw new Error(`${option} ${JSON.stringify(text)} is not a date or time`);
  if (endOfDay && /^\d{4}-\d{2}-\d{2}$/.test(text.trim())) time.setUTCHours(23, 59, 59, 999);
  return time;
}
