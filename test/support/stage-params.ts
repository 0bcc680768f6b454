/**
 * Stage params as osls resolves them for lib/deploy/*.cjs: serverless.yml's `params.default`, with
 * `overrides` on top; `param:name, ''` falls back to '' when unset. Tests of the generators call
 * them directly (no packaging) with the same defaults a deploy has.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const defaults = (): Record<string, unknown> =>
  parse(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8')).params.default;

export const stageParams =
  (overrides: Record<string, string> = {}) =>
  async (name: string): Promise<string> => {
    const key = name.replace(/^param:/, '').replace(/,\s*''$/, '');
    const value = { ...defaults(), ...overrides }[key];
    return value === undefined ? '' : String(value);
  };
