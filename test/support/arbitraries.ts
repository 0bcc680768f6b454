/** fast-check generators shared by the property tests: the providers and changes to their seed payloads. */
import fc from 'fast-check';
import { fixture } from '../fixtures';

export type Provider = 'bandwidth' | 'callkaro';

export const provider = fc.constantFrom<Provider>('bandwidth', 'callkaro');

/** The seed payloads, parsed once; generators copy them before changing anything. */
export const SEEDS: Record<Provider, unknown> = {
  bandwidth: fixture('bandwidth', 'hangup'),
  callkaro: fixture('callkaro', 'call-ended'),
};

/** Every path into a seed payload, e.g. ['data', 'call_metadata', 'age']. */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [
    [...prefix, key],
    ...pathsOf(child, [...prefix, key]),
  ]);
}

/** Any one path into the seed payload of `p`. */
export const seedPath = (p: Provider) => fc.constantFrom(...pathsOf(SEEDS[p]));

/** A copy of `seed` with `value` at `path`, as an own property even for keys like `__proto__`. */
export function withValueAt(seed: unknown, path: readonly string[], value: unknown): unknown {
  const copy = structuredClone(seed) as Record<string, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  Object.defineProperty(node, path[path.length - 1] as string, {
    value,
    enumerable: true,
    configurable: true,
    writable: true,
  });
  return copy;
}
