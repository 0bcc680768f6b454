/**
 * The functions' production bundles, built the way `serverless package` builds them: the esbuild
 * options and the handlers are read from serverless.yml, so the bundle-size test and the benchmarks
 * cannot drift from what is deployed.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { parse } from 'yaml';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface ServerlessFunction {
  handler: string;
  memorySize?: number;
  events?: unknown[];
}

interface ServerlessConfig {
  provider: { memorySize?: number; architecture?: string; runtime?: string };
  custom: { esbuild: Record<string, unknown> };
  functions: Record<string, ServerlessFunction>;
}

/** serverless.yml lists the generated webhook functions as `${file(./lib/deploy/providers.cjs):functions}`. */
const generated = createRequire(import.meta.url)('../lib/deploy/providers.cjs') as {
  webhookFunctions(): Record<string, ServerlessFunction>;
};

/** serverless.yml as osls sees it, as far as the bundles go: the functions list merged, generated ones included. */
export const readServerlessConfig = (): ServerlessConfig => {
  const config = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')) as Omit<
    ServerlessConfig,
    'functions'
  > & {
    functions: (string | Record<string, ServerlessFunction>)[] | Record<string, ServerlessFunction>;
  };
  const parts = Array.isArray(config.functions) ? config.functions : [config.functions];
  const functions = Object.assign(
    {},
    ...parts.map((part) => (typeof part === 'string' ? generated.webhookFunctions() : part)),
  ) as Record<string, ServerlessFunction>;
  return { ...config, functions };
};

/** serverless-esbuild's own settings, which it removes before calling esbuild (its bundle.ts). */
const PLUGIN_ONLY_OPTIONS = [
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
  'config',
];

/** The options serverless-esbuild hands to esbuild: custom.esbuild minus its own keys, `exclude` → `external`. */
export function esbuildOptions(config = readServerlessConfig()): BuildOptions {
  const custom = config.custom.esbuild;
  const passed = Object.fromEntries(
    Object.entries(custom).filter(([key]) => !PLUGIN_ONLY_OPTIONS.includes(key)),
  );
  const exclude = (custom.exclude as string[] | undefined) ?? ['aws-sdk'];
  return {
    // serverless-esbuild's defaults, then serverless.yml's settings.
    bundle: true,
    platform: 'node',
    ...passed,
    external: [
      ...((custom.external as string[] | undefined) ?? []),
      ...(exclude.includes('*') ? [] : exclude),
    ],
    logLevel: 'warning',
  } as BuildOptions;
}

/** The bare baseline's options: fixed (bundle, minify, cjs, node22, platform node, mainFields module,main). */
export const BARE_OPTIONS: BuildOptions = {
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'cjs',
  target: 'node22',
  platform: 'node',
  mainFields: ['module', 'main'],
  external: [],
  logLevel: 'warning',
};

export interface FunctionInfo {
  /** Function name in serverless.yml, e.g. `bandwidthWebhook`. */
  name: string;
  /** Entry file relative to the repo, e.g. `functions/bandwidth-webhook.ts`. */
  entry: string;
  /** Configured memory in MB (Lambda's default 1024 when unset). */
  memoryMb: number;
  /** Behind API Gateway (a webhook) rather than an SQS consumer. */
  isIngress: boolean;
}

export function functionInfos(config = readServerlessConfig()): FunctionInfo[] {
  return Object.entries(config.functions).map(([name, fn]) => ({
    name,
    entry: `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.ts`,
    memoryMb: fn.memorySize ?? config.provider.memorySize ?? 1024,
    isIngress: JSON.stringify(fn.events ?? []).includes('httpApi'),
  }));
}

export interface BuiltBundle {
  path: string;
  bytes: number;
  /** Source files that made it into the bundle, relative to the repo (node_modules/... for packages). */
  inputs: string[];
  metafile: Metafile;
}

const outputOf = (metafile: Metafile) => {
  const [path, output] = Object.entries(metafile.outputs).find(([file]) => file.endsWith('.js')) ?? [];
  if (!path || !output) throw new Error('esbuild produced no .js output');
  return { path, output };
};

/** Builds one handler as serverless-esbuild does, into `outdir`. */
export async function buildBundle(entry: string, outdir: string): Promise<BuiltBundle> {
  const result = await build({
    ...esbuildOptions(),
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outdir,
    metafile: true,
  });
  const { path, output } = outputOf(result.metafile);
  const absolute = path.startsWith('/') ? path : join(ROOT, path);
  return {
    path: absolute,
    bytes: statSync(absolute).size,
    inputs: Object.keys(output.inputs),
    metafile: result.metafile,
  };
}

/** The smallest useful webhook: construct an SQS client and send the body. */
export const BARE_SQS_SOURCE = `
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
const client = new SQSClient({});
export const handler = async (event) => {
  await client.send(new SendMessageCommand({ QueueUrl: process.env.QUEUE_URL, MessageBody: event.body ?? '' }));
  return { statusCode: 200, body: '{"received":true}' };
};
`;

export async function buildBareSqsBundle(outdir: string): Promise<BuiltBundle> {
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'bare-sqs.js');
  const result = await build({
    ...BARE_OPTIONS,
    absWorkingDir: ROOT,
    stdin: { contents: BARE_SQS_SOURCE, resolveDir: ROOT, loader: 'js', sourcefile: 'bare-sqs.js' },
    outfile,
    metafile: true,
  });
  const { output } = outputOf(result.metafile);
  return {
    path: outfile,
    bytes: statSync(outfile).size,
    inputs: Object.keys(output.inputs),
    metafile: result.metafile,
  };
}

/** Packages inputs grouped by npm package (or `(repo)`), largest first: what a bundle's bytes are. */
export function bytesByPackage(metafile: Metafile): [string, number][] {
  const { output } = outputOf(metafile);
  const sums = new Map<string, number>();
  for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? '(repo)';
    sums.set(name, (sums.get(name) ?? 0) + bytesInOutput);
  }
  return [...sums].sort((a, b) => b[1] - a[1]);
}

const exec = promisify(execFile);

/**
 * Runs `serverless package --stage bench` on a copy of the service in `workDir` (node_modules
 * linked), so its .esbuild/.serverless folders never touch the working tree. Returns zip paths by
 * function name.
 */
export async function packageWithServerless(workDir: string): Promise<Record<string, string>> {
  const service = join(workDir, 'service');
  const out = join(workDir, 'package');
  mkdirSync(service, { recursive: true });
  for (const item of ['serverless.yml', 'package.json', 'tsconfig.json', 'functions', 'lib']) {
    cpSync(join(ROOT, item), join(service, item), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(service, 'node_modules'), 'dir');
  await exec(
    process.execPath,
    [
      join(ROOT, 'node_modules/serverless/bin/serverless.js'),
      'package',
      '--stage',
      'bench',
      '--package',
      out,
    ],
    {
      cwd: service,
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    },
  );
  return Object.fromEntries(functionInfos().map((fn) => [fn.name, join(out, `${fn.name}.zip`)]));
}

/** The files in a zip archive (stored or deflated entries, as serverless writes them). */
export function unzip(zip: Buffer): { name: string; data: Buffer }[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip archive');
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const files: { name: string; data: Buffer }[] = [];
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localHeader = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    const dataStart =
      localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
    const raw = zip.subarray(dataStart, dataStart + compressedSize);
    if (!name.endsWith('/')) {
      if (method !== 0 && method !== 8) throw new Error(`unsupported zip method ${method} for ${name}`);
      files.push({ name, data: method === 0 ? Buffer.from(raw) : inflateRawSync(raw) });
    }
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}
