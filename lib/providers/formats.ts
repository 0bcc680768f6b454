/**
 * Formats a provider documents as closed, checked after the signature and before anything is stored
 * (issue 18: refuse what no provider sends, so a captured signature cannot vouch for a field no
 * provider would write). Only where the provider's docs or SDK types give a closed format; never
 * enumerated values (their new members are acknowledged, spec §1). A refusal is a 400, one line.
 */
import { BadRequestError } from '../errors';

/** An ISO 8601 / RFC 3339 date-time with a zone: `2023-11-14T22:10:00.000000Z`, `…+05:30`. */
export const ISO_8601_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

const absent = (value: unknown) => value === undefined || value === null;

/** Absent/null passes; otherwise an ISO 8601 date-time string, or a 400 naming `field`. */
export function requireIsoTimeIfPresent(value: unknown, field: string): void {
  if (!absent(value) && (typeof value !== 'string' || !ISO_8601_TIME.test(value))) {
    throw new BadRequestError(`${field} is not an ISO 8601 time`);
  }
}

/** Absent/null passes; otherwise a non-negative whole number of milliseconds, or a 400. */
export function requireEpochMsIfPresent(value: unknown, field: string): void {
  if (!absent(value) && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)) {
    throw new BadRequestError(`${field} is not epoch milliseconds`);
  }
}
