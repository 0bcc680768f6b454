/** `npm run docs`: rewrites README's secrets table and the docs' provider tables from lib/providers/providers.json. */
import { readFileSync, writeFileSync } from 'node:fs';
import { PROVIDERS } from '../lib/providers/list';
import { withProviderSummary, withProviderTable, withSecretsTable } from '../lib/providers/readme';

const rewrite = (path: string, change: (text: string) => string) => {
  const file = new URL(`../${path}`, import.meta.url);
  writeFileSync(file, change(readFileSync(file, 'utf8')));
};
rewrite('README.md', withSecretsTable);
rewrite('docs/providers/README.md', withProviderTable);
for (const { name } of PROVIDERS)
  rewrite(`docs/providers/${name}.md`, (page) => withProviderSummary(page, name));
console.log(
  `README.md: secrets table; docs/providers/: provider table and ${PROVIDERS.length} provider summaries updated`,
);
