import { DateTime, IANAZone } from 'luxon';

const toUtcIso = (value: DateTime): string | null => (value.isValid ? value.toUTC().toISO() : null);

/**
 * An ISO 8601 instant in any of its forms (extended/basic, offsets, ordinal and week dates) as
 * ISO 8601 UTC with milliseconds; a time without an offset is read as UTC. Anything else → null.
 */
export function parseIsoInstant(value: unknown): string | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  return toUtcIso(DateTime.fromISO(value.trim(), { zone: 'utc' }));
}

/** A zone-less local time (`YYYY-MM-DD HH:MM:SS`, or ISO without offset) read in `zone`, as UTC. */
export function parseLocalTime(value: unknown, zone: string): string | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim();
  const spaced = DateTime.fromFormat(text, 'yyyy-MM-dd HH:mm:ss', { zone });
  return toUtcIso(spaced.isValid ? spaced : DateTime.fromISO(text, { zone }));
}

/**
 * The longest call a record believes: 7 days. Providers cap calls at hours (Twilio 4 h, Vapi and
 * Retell less); a longer duration is a data error or a hostile value, not a call.
 */
export const MAX_CALL_SECONDS = 7 * 86_400;

/**
 * A duration a record can use, in seconds: a finite number or plain decimal string from 0 to
 * MAX_CALL_SECONDS; anything else (negative, NaN-like, 1e308, `"2m"`, an object) → null. Every
 * duration a normalizer reads, and everything derived from one, goes through here, so nothing is
 * derived from a value that became null; the raw body keeps what the provider sent.
 */
export function usableSeconds(value: unknown): number | null {
  const seconds =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)
        ? Number(value)
        : Number.NaN;
  return Number.isFinite(seconds) && seconds >= 0 && seconds <= MAX_CALL_SECONDS ? seconds : null;
}

/** `iso` + a usable duration (see usableSeconds), or null when either is unusable. */
export function addSeconds(iso: string | null, seconds: unknown): string | null {
  const usable = usableSeconds(seconds);
  if (iso === null || usable === null) return null;
  return toUtcIso(DateTime.fromISO(iso, { zone: 'utc' }).plus({ seconds: usable }));
}

/** `to − from` in seconds when both are instants and the difference is a usable duration, else null. */
export const secondsBetween = (from: string | null, to: string | null): number | null =>
  from === null || to === null ? null : usableSeconds((Date.parse(to) - Date.parse(from)) / 1000);

export function assertTimeZone(zone: string): string {
  if (!IANAZone.isValidZone(zone)) throw new Error(`${zone} is not an IANA time zone name`);
  return zone;
}

/** An RFC 2822 date-time (`Mon, 16 Aug 2010 03:45:01 +0000`, as Twilio's `Timestamp`) as ISO 8601 UTC. */
export function parseRfc2822Instant(value: unknown): string | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  return toUtcIso(DateTime.fromRFC2822(value.trim(), { zone: 'utc' }));
}

/**
 * Unix epoch milliseconds (a JSON number, or a string of digits) as ISO 8601 UTC; negative,
 * non-finite, out-of-range or other values → null.
 */
export function parseEpochMs(value: unknown): string | null {
  const ms =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d{1,16}$/.test(value)
        ? Number(value)
        : NaN;
  if (!Number.isFinite(ms) || ms < 0) return null;
  return toUtcIso(DateTime.fromMillis(ms, { zone: 'utc' }));
}

/**
 * An instant in whichever common form a provider chose — ISO 8601, SQL-like `YYYY-MM-DD HH:MM:SS[.ffffff][Z]`,
 * RFC 2822 or HTTP date — as ISO 8601 UTC; a time without an offset is read as UTC. Anything else → null.
 */
export function parseLenientInstant(value: unknown): string | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim();
  const readers = [DateTime.fromISO, DateTime.fromSQL, DateTime.fromRFC2822, DateTime.fromHTTP];
  for (const read of readers) {
    const parsed = toUtcIso(read(text, { zone: 'utc' }));
    if (parsed !== null) return parsed;
  }
  return null;
}

/** Whole seconds sent as text (`"37"`, Twilio's CallDuration, Plivo's Duration); anything else → null. */
export function wholeSecondsText(value: string | null): number | null {
  if (value === null || !/^\s*\d{1,9}\s*$/.test(value)) return null;
  return Number(value);
}
