/** README's provider table, made from the provider list (`npm run docs` writes it; a test checks it). */
import { PROVIDERS } from './list';

export const TABLE_BEGIN =
  '<!-- providers:begin (generated from lib/providers/providers.json by npm run docs) -->';
export const TABLE_END = '<!-- providers:end -->';

export function providerTable(): string {
  const rows = PROVIDERS.map((p) =>
    [
      `\`${p.name}\``,
      `\`POST ${p.path}\``,
      p.verifiedBy,
      `\`/call-intake/<stage>/${p.name}/webhook-secrets\`: ${p.secret}`,
      p.localEnv.map((variable) => `\`${variable}\``).join(', '),
      [...p.webhookSettings, ...p.consumerSettings]
        .map(
          (s) => `\`${s.param}\` (\`${s.env}\`, default ${s.default === '' ? 'empty' : `\`${s.default}\``})`,
        )
        .join(', ') || '—',
    ].join(' | '),
  );
  return [
    '| provider | route | verified by | SSM parameter: one secret per line, at most two | local env | settings (`--param`, env) |',
    '|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

/** `readme` with the text between the markers replaced by the current table. */
export function withProviderTable(readme: string): string {
  const begin = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error('README.md has no provider table markers');
  return `${readme.slice(0, begin + TABLE_BEGIN.length)}\n${providerTable()}\n${readme.slice(end)}`;
}
