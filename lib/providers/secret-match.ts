/** Constant-time secret checks shared by the providers' ingress halves (node:crypto only: cold-start lean). */
import { createHash, timingSafeEqual } from 'node:crypto';

// Hashing first gives equal-length buffers, so timingSafeEqual never leaks the secret's length.
const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Digests of the expected secrets (a handful per provider: current + next), computed once rather
 * than on every request; cleared past a few dozen so rotated-out secrets do not pile up.
 */
const expectedDigests = new Map<string, Buffer>();
function expectedDigest(expected: string): Buffer {
  let found = expectedDigests.get(expected);
  if (!found) {
    if (expectedDigests.size >= 32) expectedDigests.clear();
    found = digest(expected);
    expectedDigests.set(expected, found);
  }
  return found;
}

/**
 * A request's presented values (a token, or a Basic user and password) are compared with every
 * secret in turn: hashed once per request, not once per secret. Bounded: they come from outside.
 */
const presentedDigests = new Map<string, Buffer>();
function presentedDigest(presented: string): Buffer {
  let found = presentedDigests.get(presented);
  if (!found) {
    if (presentedDigests.size >= 4) presentedDigests.clear();
    found = digest(presented);
    presentedDigests.set(presented, found);
  }
  return found;
}

/** `presented` equals `expected`, compared in constant time; an empty `expected` never matches. */
export const sameSecret = (presented: string, expected: string): boolean =>
  timingSafeEqual(presentedDigest(presented), expectedDigest(expected)) && expected !== '';

/**
 * Whether any of `secrets` (current and next) matches. Every secret is checked, without an early
 * exit, so the time taken does not tell which one (if any) matched.
 */
export function matchesAnySecret(secrets: readonly string[], matches: (secret: string) => boolean): boolean {
  let matched = false;
  for (const secret of secrets) matched = matches(secret) || matched;
  return matched;
}
