/**
 * Freshness for signature schemes that sign a timestamp (Telnyx, Retell, Vapi): spec §6 rejects one
 * more than 300 s away from now, in either direction, with a 401 like any other failed check.
 */
import { UnauthorizedError } from '../errors';

export const TIMESTAMP_TOLERANCE_SECONDS = 300;

/**
 * A Unix timestamp header as milliseconds: digits only; `unit: 'auto'` reads values past 10^11 as
 * milliseconds (year 5138 in seconds), as senders that document seconds sometimes send ms. null
 * when it is not a plain integer.
 */
export function timestampMs(text: string | undefined, unit: 's' | 'ms' | 'auto'): number | null {
  if (text === undefined || !/^\d{1,16}$/.test(text.trim())) return null;
  const value = Number(text.trim());
  const inMs = unit === 'ms' || (unit === 'auto' && value > 1e11);
  return inMs ? value : value * 1000;
}

/** Whether `text` would be read as seconds by `timestampMs(text, unit)`. */
export const inSeconds = (text: string, unit: 's' | 'ms' | 'auto'): boolean =>
  unit === 's' || (unit === 'auto' && Number(text.trim()) <= 1e11);

/**
 * Throws a 401 unless `ms` is within the tolerance of `now`. `resolution: 's'` for a timestamp sent
 * in whole seconds: `now` is truncated to its second first, as telnyx-node's `TelnyxWebhook.verify`
 * does (`Math.floor(Date.now() / 1000)`), so a timestamp exactly 300 s old is still fresh.
 */
export function requireFresh(
  ms: number | null,
  now: Date,
  toleranceSeconds = TIMESTAMP_TOLERANCE_SECONDS,
  resolution: 's' | 'ms' = 'ms',
): void {
  if (ms === null) throw new UnauthorizedError('missing or malformed signature timestamp');
  const nowMs = resolution === 's' ? Math.floor(now.getTime() / 1000) * 1000 : now.getTime();
  if (Math.abs(nowMs - ms) > toleranceSeconds * 1000) {
    throw new UnauthorizedError(`signature timestamp is more than ${toleranceSeconds} s from now`);
  }
}
