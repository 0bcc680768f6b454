/**
 * What `jose` would cost the Vonage webhook's cold start (issue 17 item 3: use it unless it costs
 * more than 5 ms). Two bundles built as serverless-esbuild builds the function (bench/bundles.ts,
 * options from serverless.yml): the vonage webhook with its JWT check as shipped (hand-written,
 * node:crypto), and the same webhook with the check done by jose's `jwtVerify`. Each run is a fresh
 * `node` that requires the bundle and verifies one signed Vonage request (the first event's JWT
 * work); runs interleaved, medians, the difference and the ratio from the same run.
 *
 *   npx tsx bench/vonage-jwt.ts [runs]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signVonage } from '../lib/providers/vonage/sign';
import { buildBundle } from './bundles';
import { median, round } from './support';

const RUNNER = `
const { performance } = require('node:perf_hooks');
const [bundle, input] = process.argv.slice(2);
const { body, headers, secrets } = JSON.parse(input);
(async () => {
  const t0 = performance.now();
  const { verify } = require(bundle);
  const t1 = performance.now();
  await verify(Buffer.from(body), headers, secrets, new Date());
  const t2 = performance.now();
  process.stdout.write(JSON.stringify({ requireMs: t1 - t0, firstVerifyMs: t2 - t1, totalMs: t2 - t0 }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

async function main() {
  const runs = Number(process.argv[2]) || 15;
  const work = mkdtempSync(join(tmpdir(), 'vonage-jwt-'));
  const runner = join(work, 'runner.cjs');
  writeFileSync(runner, RUNNER);
  const variants = {
    'hand-written': await buildBundle('bench/vonage-jwt/hand-written.ts', join(work, 'hand')),
    jose: await buildBundle('bench/vonage-jwt/jose.ts', join(work, 'jose')),
  };
  const body = JSON.stringify({ uuid: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab', status: 'completed' });
  const secrets = ['bench-secret-current', 'bench-secret-next'];
  const input = JSON.stringify({ body, headers: signVonage(body, secrets[1] as string), secrets });
  const samples: Record<string, { requireMs: number; firstVerifyMs: number; totalMs: number }[]> = {
    'hand-written': [],
    jose: [],
  };
  for (let run = -1; run < runs; run++) {
    for (const [name, bundle] of Object.entries(variants)) {
      const child = spawnSync(process.execPath, [runner, bundle.path, input], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', NODE_OPTIONS: '' },
      });
      if (child.status !== 0) throw new Error(`${name}: ${child.stderr.slice(0, 500)}`);
      if (run >= 0) samples[name]?.push(JSON.parse(child.stdout));
    }
  }
  const summary = Object.fromEntries(
    Object.entries(samples).map(([name, list]) => [
      name,
      {
        bundleBytes: variants[name as keyof typeof variants].bytes,
        requireMs: round(median(list.map((s) => s.requireMs)), 2),
        firstVerifyMs: round(median(list.map((s) => s.firstVerifyMs)), 2),
        totalMs: round(median(list.map((s) => s.totalMs)), 2),
      },
    ]),
  );
  const hand = summary['hand-written'] as { totalMs: number };
  const jose = summary.jose as { totalMs: number };
  console.log(
    JSON.stringify(
      {
        runs,
        ...summary,
        joseMinusHandMs: round(jose.totalMs - hand.totalMs, 2),
        ratio: round(jose.totalMs / hand.totalMs, 3),
      },
      null,
      2,
    ),
  );
}

void main();
