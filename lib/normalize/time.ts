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

export const addSeconds = (iso: string | null, seconds: number | null): string | null =>
  iso === null || seconds === null
    ? null
    : toUtcIso(DateTime.fromISO(iso, { zone: 'utc' }).plus({ seconds }));

export const secondsBetween = (from: string | null, to: string | null): number | null => {
  if (from === null || to === null) return null;
  const seconds = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
};

export function assertTimeZone(zone: string): string {
  if (!IANAZone.isValidZone(zone)) throw new Error(`${zone} is not an IANA time zone name`);
  return zone;
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
