/** Reading stored deliveries defensively, shared by the providers' normalizers. */
import type { Delivery } from '../envelope';

export type JsonObject = Record<string, unknown>;

export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Own properties only, so a missing field never picks up something from Object.prototype. */
export const own = (object: JsonObject, key: string): unknown =>
  Object.hasOwn(object, key) ? object[key] : undefined;

/** The body as a JSON object, or null: the ingress checked it, but a stored body is still input. */
export function parseObject(text: string): JsonObject | null {
  try {
    const value: unknown = JSON.parse(text);
    return isJsonObject(value) ? value : null;
  } catch {
    return null;
  }
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const arrivalMs = (delivery: Delivery): number => {
  const ms = Date.parse(delivery.receivedAt);
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
};

/** Earliest arrival first; the later keys only break ties, so the input order never matters. */
export const byArrival = (a: Delivery, b: Delivery): number =>
  arrivalMs(a) - arrivalMs(b) ||
  compareText(a.receivedAt, b.receivedAt) ||
  compareText(a.deliveryId, b.deliveryId) ||
  compareText(a.body, b.body);

/** A missing field as null, so a record's details always have the same keys. */
export const orNull = (value: unknown): unknown => (value === undefined ? null : value);

/** Library calls on untrusted values: an exception there must not drop the event, only the field. */
export function orNullOnError<T>(read: () => T | null): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}

/** A delivery's arrival time as ISO 8601 UTC (kept as stored when unparseable). */
export function receivedAtIso(delivery: Delivery): string {
  const ms = Date.parse(delivery.receivedAt);
  return Number.isNaN(ms) ? delivery.receivedAt : new Date(ms).toISOString();
}

/** A finite, non-negative number (a JSON number only), else null. */
export const nonNegativeNumber = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;

/** A non-empty string, else null. */
export const nonEmptyText = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null;

/** The first non-null value `read` finds, scanning `items` in their order (callers sort by arrival). */
export function firstValue<E, T>(items: readonly E[], read: (item: E) => T | null): T | null {
  for (const item of items) {
    const value = read(item);
    if (value !== null) return value;
  }
  return null;
}
