/**
 * Is a configured Telnyx public key a real Ed25519 key? RFC 8032 §5.1.3 decoding, plus the checks
 * libsodium's `crypto_sign_verify_detached` makes and OpenSSL's Ed25519 verify (what node:crypto and
 * the SDK's Web Crypto use) does not: a small-order point has no private half, so with it configured
 * a constant forged signature verifies for a fixed share of messages (the zero key: one in four).
 * Loaded with the telnyx ingress (cold start), so BigInt arithmetic only, once per distinct key.
 */

const P = 2n ** 255n - 19n;
const mod = (a: bigint): bigint => {
  const r = a % P;
  return r >= 0n ? r : r + P;
};
function pow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}
const inverse = (a: bigint): bigint => pow(a, P - 2n);
const D = mod(-121665n * inverse(121666n));
const SQRT_MINUS_ONE = pow(2n, (P - 1n) / 4n);

interface Point {
  x: bigint;
  y: bigint;
}

/** RFC 8032 §5.1.3: the point `raw` encodes, or why it is none (non-canonical counts as none). */
function decode(raw: Buffer): Point | string {
  const sign = (raw[31] ?? 0) >> 7;
  const bytes = Buffer.from(raw);
  bytes[31] = (bytes[31] ?? 0) & 0x7f;
  const y = BigInt(`0x${Buffer.from(bytes).reverse().toString('hex')}`);
  if (y >= P) return 'non-canonical encoding, y ≥ p';
  const y2 = (y * y) % P;
  const u = mod(y2 - 1n);
  const v = mod(D * y2 + 1n);
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
  const vx2 = mod(v * x * x);
  if (vx2 !== u) {
    if (vx2 !== mod(-u)) return 'not a point of the curve';
    x = mod(x * SQRT_MINUS_ONE);
  }
  if (x === 0n && sign === 1) return 'non-canonical encoding, x = −0';
  if (Number(x & 1n) !== sign) x = P - x;
  return { x, y };
}

/** Twisted Edwards doubling (a = −1): complete, so no denominator is zero on the curve. */
function double({ x, y }: Point): Point {
  const x2 = (x * x) % P;
  const y2 = (y * y) % P;
  return {
    x: mod(2n * x * y * inverse(mod(y2 - x2))),
    y: mod((y2 + x2) * inverse(mod(2n + x2 - y2))),
  };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * null when `base64` is a usable Ed25519 public key; otherwise why not, in a few words (never the
 * key): not base64 of 32 bytes, non-canonical, not a curve point, or of small order ([8]A = O).
 */
export function ed25519KeyProblem(base64: string): string | null {
  const text = base64.trim();
  const raw = BASE64.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (raw.length !== 32) return 'not base64 of 32 bytes';
  const point = decode(raw);
  if (typeof point === 'string') return point;
  const eightfold = double(double(double(point)));
  if (eightfold.x === 0n && eightfold.y === 1n) return 'small-order point';
  return null;
}

const problems = new Map<string, string | null>();

/** ed25519KeyProblem, remembered for a handful of keys (the configured ones). */
export function cachedKeyProblem(base64: string): string | null {
  const known = problems.get(base64);
  if (known !== undefined) return known;
  const problem = ed25519KeyProblem(base64);
  if (problems.size < 16) problems.set(base64, problem);
  return problem;
}

/** A configured key that is not usable: a one-line message naming where it came from, never the key. */
export class TelnyxKeyError extends Error {
  constructor(source: string, line: number, problem: string) {
    super(`${source} line ${line} is not a usable Ed25519 public key (${problem}): refused`);
    this.name = 'TelnyxKeyError';
  }
}

/** Throws TelnyxKeyError for the first unusable key in `keys` (lines of `source`). */
export function requireUsableKeys(keys: readonly string[], source: string): void {
  keys.forEach((key, index) => {
    const problem = cachedKeyProblem(key);
    if (problem !== null) throw new TelnyxKeyError(source, index + 1, problem);
  });
}
