/**
 * The docs' provider tables, made from the provider list: the table of every provider in
 * docs/providers/README.md and the summary at the top of each docs/providers/<name>.md
 * (`npm run docs` writes them; a test checks them).
 */
import { API_PROVIDER_NAMES } from './api-registry';
import { PROVIDERS, type ProviderEntry } from './list';

export const TABLE_BEGIN =
  '<!-- providers:begin (generated from lib/providers/providers.json by npm run docs) -->';
export const TABLE_END = '<!-- providers:end -->';
export const summaryBegin = (name: string) =>
  `<!-- provider:begin ${name} (generated from lib/providers/providers.json by npm run docs) -->`;
export const SUMMARY_END = '<!-- provider:end -->';

/** "yes" for a provider with a lister (lib/providers/api-registry.ts), so backfill can load its calls. */
const backfill = (p: ProviderEntry) => (API_PROVIDER_NAMES.includes(p.name) ? 'yes' : 'no');

const cells = (p: ProviderEntry) => ({
  route: `\`POST ${p.path}\``,
  verifiedBy: p.verifiedBy,
  secret: `\`/call-intake/<stage>/${p.name}/webhook-secrets\`: ${p.secret}`,
  localEnv: p.localEnv.map((variable) => `\`${variable}\``).join(', '),
  settings:
    [...p.webhookSettings, ...p.consumerSettings]
      .map((s) => `\`${s.param}\` (\`${s.env}\`, default ${s.default === '' ? 'empty' : `\`${s.default}\``})`)
      .join(', ') || '—',
  backfill: backfill(p),
});

export function providerTable(): string {
  const rows = PROVIDERS.map((p) => {
    const c = cells(p);
    return [
      `[\`${p.name}\`](${p.name}.md)`,
      c.route,
      c.verifiedBy,
      c.secret,
      c.localEnv,
      c.settings,
      c.backfill,
    ].join(' | ');
  });
  return [
    '| provider | route | verified by | SSM parameter: one secret per line, at most two | local env | settings (`--param`, env) | backfill |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

/** One provider's route, secret, settings and backfill, as the top of its page shows them. */
export function providerSummary(name: string): string {
  const p = PROVIDERS.find((entry) => entry.name === name);
  if (!p) throw new Error(`no provider named ${name}`);
  const c = cells(p);
  return [
    '| | |',
    '|---|---|',
    `| route | ${c.route} |`,
    `| verified by | ${c.verifiedBy} |`,
    `| SSM parameter (one secret per line, at most two) | ${c.secret} |`,
    `| local env (\`npm start\`) | ${c.localEnv} |`,
    `| settings (\`--param\`, env) | ${c.settings} |`,
    `| backfill from the list API | ${c.backfill === 'yes' ? 'yes: see [Backfill](#backfill)' : 'no'} |`,
  ].join('\n');
}

function between(text: string, begin: string, end: string, content: string, what: string): string {
  const from = text.indexOf(begin);
  const to = text.indexOf(end, from);
  if (from < 0 || to < from) throw new Error(`${what} has no generated-table markers`);
  return `${text.slice(0, from + begin.length)}\n${content}\n${text.slice(to)}`;
}

/** docs/providers/README.md with the text between the markers replaced by the current table. */
export function withProviderTable(page: string): string {
  return between(page, TABLE_BEGIN, TABLE_END, providerTable(), 'docs/providers/README.md');
}

/** docs/providers/<name>.md with its summary replaced by the current one. */
export function withProviderSummary(page: string, name: string): string {
  return between(page, summaryBegin(name), SUMMARY_END, providerSummary(name), `docs/providers/${name}.md`);
}

export const SECRETS_BEGIN =
  '<!-- secrets:begin (generated from lib/providers/providers.json by npm run docs) -->';
export const SECRETS_END = '<!-- secrets:end -->';

/** README's "Which secrets do I need": one SSM parameter per deployed provider, one more to backfill. */
export function secretsTable(): string {
  return [
    '| provider | `/call-intake/<stage>/<provider>/webhook-secrets` holds | to backfill, also `/call-intake/<stage>/<provider>-api` |',
    '|---|---|---|',
    ...PROVIDERS.map(
      (p) =>
        `| [${p.title}](docs/providers/${p.name}.md) | ${p.secret} | ${
          backfill(p) === 'yes'
            ? `the API credential ([${p.title}: Backfill](docs/providers/${p.name}.md#backfill))`
            : '— (no lister)'
        } |`,
    ),
  ].join('\n');
}

/** README.md with its secrets table replaced by the current one. */
export function withSecretsTable(readme: string): string {
  return between(readme, SECRETS_BEGIN, SECRETS_END, secretsTable(), 'README.md');
}
