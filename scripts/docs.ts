/** `npm run docs`: rewrites README's provider table from lib/providers/providers.json. */
import { readFileSync, writeFileSync } from 'node:fs';
import { withProviderTable } from '../lib/providers/readme';

const file = new URL('../README.md', import.meta.url);
writeFileSync(file, withProviderTable(readFileSync(file, 'utf8')));
console.log('README.md: provider table updated');
