/**
 * The one provider list (lib/providers/providers.json) and everything made from it agree: the
 * consumer's registry, each provider's handler module, the CLI's names and the docs' generated tables.
 * (serverless.yml's functions, roles and alarms: test/integration/template.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_PROVIDER_NAMES } from '../../lib/providers/api-registry';
import { PROVIDER_NAMES, PROVIDERS, webhookModule } from '../../lib/providers/list';
import {
  providerSummary,
  providerTable,
  secretsTable,
  withProviderSummary,
  withProviderTable,
  withSecretsTable,
} from '../../lib/providers/readme';
import { normalizers } from '../../lib/providers/registry';

describe('the provider list', () => {
  it('names exactly the providers the consumer has normalizers for', () => {
    // Act
    const registered = Object.keys(normalizers).sort();

    // Assess
    expect(registered).toEqual([...PROVIDER_NAMES].sort());
    for (const [name, normalizer] of Object.entries(normalizers)) expect(normalizer.name).toBe(name);
  });

  it.each(PROVIDERS.map((p) => [p.name, p] as const))(
    '%s: its handler module exports its ingress and a local setup',
    async (name, entry) => {
      // Act
      const module = (await import(new URL(`../../${webhookModule(name)}.ts`, import.meta.url).href)) as {
        provider?: { name: string; local?: { secret: (env: object) => { variables: readonly string[] } } };
        handler?: unknown;
      };

      // Assess
      expect(module.provider?.name).toBe(name);
      expect(typeof module.handler).toBe('function');
      expect(module.provider?.local?.secret({}).variables).toEqual(entry.localEnv);
      expect(entry.path).toMatch(/^\/webhooks\//);
    },
  );

  it('has unique names and routes', () => {
    // Assess
    expect(new Set(PROVIDER_NAMES).size).toBe(PROVIDERS.length);
    expect(new Set(PROVIDERS.map((p) => p.path)).size).toBe(PROVIDERS.length);
  });

  const doc = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

  it("is what docs/providers/README.md's table shows (npm run docs rewrites it)", () => {
    // Prepare
    const page = doc('docs/providers/README.md');

    // Act
    const regenerated = withProviderTable(page);

    // Assess
    expect(page).toContain(providerTable());
    expect(regenerated).toBe(page);
  });

  it.each(PROVIDER_NAMES)("is what docs/providers/%s.md's summary shows", (name) => {
    // Prepare
    const page = doc(`docs/providers/${name}.md`);

    // Act
    const regenerated = withProviderSummary(page, name);

    // Assess
    expect(page).toContain(providerSummary(name));
    expect(regenerated).toBe(page);
  });

  it.each(PROVIDER_NAMES)(
    'has a page docs/providers/%s.md with every section a provider page holds',
    (name) => {
      // Act
      const headings = doc(`docs/providers/${name}.md`)
        .split('\n')
        .filter((line) => line.startsWith('## '));

      // Assess
      expect(headings.some((heading) => heading.startsWith('## Register'))).toBe(true);
      expect(headings.some((heading) => /sign/i.test(heading))).toBe(true);
      for (const section of ['## Record', '## Retries', '## Backfill'])
        expect(headings, name).toContain(section);
    },
  );

  it("is what README's secrets table shows", () => {
    // Prepare
    const readme = doc('README.md');

    // Assess
    expect(readme).toContain(secretsTable());
    expect(withSecretsTable(readme)).toBe(readme);
  });

  it('says backfill yes exactly for the providers with a lister', () => {
    // Act
    const backfillCells = providerTable()
      .split('\n')
      .slice(2)
      .map((row) => [/\[`([a-z0-9-]+)`\]/.exec(row)?.[1], row.split('|').at(-2)?.trim()]);

    // Assess
    expect(backfillCells).toHaveLength(PROVIDERS.length);
    for (const [name, cell] of backfillCells)
      expect(cell, name).toBe(API_PROVIDER_NAMES.includes(name ?? '') ? 'yes' : 'no');
    expect(backfillCells.filter(([, cell]) => cell === 'yes').length).toBe(API_PROVIDER_NAMES.length);
  });
});
