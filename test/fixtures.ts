/** Seed payloads, verbatim from shared/seeds. Tests get fresh copies so none can change another's. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

const fixturePath = (provider: string, name: string) => join(here, 'fixtures', provider, `${name}.json`);

/** The exact bytes of a fixture, as a provider would send them. */
export const rawFixture = (provider: string, name: string): string =>
  readFileSync(fixturePath(provider, name), 'utf8');

/** A fresh parsed copy of a fixture, safe to modify. */
export const fixture = <T = Record<string, unknown>>(provider: string, name: string): T =>
  JSON.parse(rawFixture(provider, name)) as T;

export const bandwidthHangup = () => fixture('bandwidth', 'hangup');
export const callkaroCallEnded = () =>
  fixture<{ event: string; data: Record<string, unknown> }>('callkaro', 'call-ended');

/** Retell and Vapi: bodies shaped as their docs show (providers-next.md §6–§7). */
export const retellEvent = (name: 'call-started' | 'call-ended' | 'call-analyzed') =>
  fixture<{ event: string; call: Record<string, unknown> }>('retell', name);
export const vapiMessage = (name: 'end-of-call-report' | 'status-update') =>
  fixture<{ message: Record<string, unknown> & { call: Record<string, unknown> } }>('vapi', name);
