/**
 * What every provider's `identify` checks about the fields it reads (spec §1, §6): wrong types, ids
 * too long for the envelope's header and text that is not well-formed Unicode become a 400 with a
 * one-line reason. (lib/ingress.ts checks the identity once more for every provider.)
 */
import { BadRequestError } from '../errors';

/** Longest call id accepted, as Bandwidth's and CallKaro's: the envelope header always fits. */
export const MAX_CALL_ID_LENGTH = 200;

// In u-mode only an unpaired surrogate matches: two ids must never collapse into one stored form.
const LONE_SURROGATE = /\p{Surrogate}/u;

export const isJsonRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Own properties only, so `constructor` or `__proto__` never come from Object.prototype. */
export const ownField = (object: Readonly<Record<string, unknown>>, key: string): unknown =>
  Object.hasOwn(object, key) ? object[key] : undefined;

/** A non-empty, well-formed event type at `field`, or a 400. */
export function requireEventType(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new BadRequestError(`body has no ${field}`);
  if (LONE_SURROGATE.test(value)) throw new BadRequestError(`${field} is not well-formed Unicode`);
  return value;
}

/** The call id at `field`: null when absent or empty; a 400 when it is not a usable string. */
export function optionalCallId(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new BadRequestError(`${field} is not a string`);
  if (value.length > MAX_CALL_ID_LENGTH) {
    throw new BadRequestError(`${field} is longer than ${MAX_CALL_ID_LENGTH} characters`);
  }
  if (LONE_SURROGATE.test(value)) throw new BadRequestError(`${field} is not well-formed Unicode`);
  return value;
}

/** A field's text: null when absent or empty; a 400 when it is there but not well-formed text. */
export function optionalText(fields: Readonly<Record<string, unknown>>, name: string): string | null {
  const value = ownField(fields, name);
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new BadRequestError(`${name} is not a string`);
  if (LONE_SURROGATE.test(value)) throw new BadRequestError(`${name} is not well-formed Unicode`);
  return value;
}

/** The call id a call event must carry: present, a string, at most MAX_CALL_ID_LENGTH characters. */
export function requireCallId(
  fields: Readonly<Record<string, unknown>>,
  name: string,
  event: string,
): string {
  const callId = optionalCallId(ownField(fields, name), name);
  if (callId === null) throw new BadRequestError(`${event} has no ${name}`);
  return callId;
}
