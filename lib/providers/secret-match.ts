/** Constant-time secret checks shared by the providers' ingress halves (node:crypto only: cold-start lean). */
import { createHash, timingSafeEqual } from 'node:crypto';

// Hashing first gives equal-length buffers, so timingSafeEqual never leaks the secret's length.
const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** `presented` equals `expected`, compared in constant time; an empty `expected` never matches. */
export const sameSecret = (presented: string, expected: string): boolean =>
  timingSafeEqual(digest(presented), digest(expected)) && expected !== '';

/**
 * Whether any of `secrets` (current and next) matches. Every secret is checked, without an early
 * exit, so the time taken does not tell which one (if any) matched.
 */
export function matchesAnySecret(secrets: readonly string[], matches: (secret: string) => boolean): boolean {
  let matched = false;
  for (const secret of secrets) matched = matches(secret) || matched;
  return matched;
}
