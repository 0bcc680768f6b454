/** What every provider's `identify` checks about the fields it reads (spec §1, §6): one-line 400s. */
import { BadRequestError } from '../errors';

/** Longest call id accepted, so the envelope header always fits its reserved bytes (as Bandwidth's). */
export const MAX_CALL_ID_LENGTH = 200;

/** A field's text: null when absent or empty; a 400 when it is there but not a string. */
export function optionalText(fields: Readonly<Record<string, unknown>>, name: string): string | null {
  const value = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new BadRequestError(`${name} is not a string`);
  // In u-mode only an unpaired surrogate matches: two ids must never collapse into one stored form.
  if (/\p{Surrogate}/u.test(value)) throw new BadRequestError(`${name} is not well-formed Unicode`);
  return value;
}

/** The call id a call event must carry: present, a string, at most MAX_CALL_ID_LENGTH characters. */
export function requireCallId(
  fields: Readonly<Record<string, unknown>>,
  name: string,
  event: string,
): string {
  const callId = optionalText(fields, name);
  if (callId === null) throw new BadRequestError(`${event} has no ${name}`);
  if (callId.length > MAX_CALL_ID_LENGTH) {
    throw new BadRequestError(`${name} is longer than ${MAX_CALL_ID_LENGTH} characters`);
  }
  return callId;
}
