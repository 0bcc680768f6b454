/**
 * The one provider list (lib/providers/providers.json) and everything made from it agree: the
 * consumer's registry, each provider's handler module, the CLI's names and README's table.
 * (serverless.yml's functions, roles and alarms: test/integration/template.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROVIDER_NAMES, PROVIDERS, webhookModule } from '../../lib/providers/list';
import { providerTable, withProviderTable } from '../../lib/providers/readme';
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

  it("is what README's provider table shows (npm run docs rewrites it)", () => {
    // Prepare
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

    // Act
    const regenerated = withProviderTable(readme);

    // Assess
    expect(readme).toContain(providerTable());
    expect(regenerated).toBe(readme);
  });
});
