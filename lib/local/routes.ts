/**
 * The local stack's HTTP routes: one per provider of lib/providers/providers.json — the list
 * serverless.yml's routes are generated from — each with the provider its handler module
 * (functions/<name>-webhook.ts) exports. Path templates match like API Gateway's: `{name}` is one
 * segment, `{name+}` the rest of the path; parameters are URL-decoded.
 */
import { PROVIDERS, webhookFunctionName, webhookModule } from '../providers/list';
import type { ProviderIngress } from '../providers/types';

export interface RouteDefinition {
  /** Upper-case HTTP method, or `ANY`. */
  method: string;
  /** Path template, e.g. /webhooks/callkaro/{token} */
  path: string;
  functionName: string;
  /** Module of the handler, relative to the project root, without extension (e.g. functions/consumer). */
  module: string;
}

export interface ProviderRoute extends RouteDefinition {
  provider: ProviderIngress;
}

export class RouteConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RouteConfigError';
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The webhook routes of the provider list, as serverless.yml declares them. */
export const providerRouteDefinitions = (): RouteDefinition[] =>
  PROVIDERS.map(({ name, path }) => ({
    method: 'POST',
    path,
    functionName: webhookFunctionName(name),
    module: webhookModule(name),
  }));

export const PROJECT_ROOT = new URL('../../', import.meta.url);

const isProvider = (value: unknown): value is ProviderIngress =>
  isObject(value) &&
  typeof value.name === 'string' &&
  typeof value.authenticate === 'function' &&
  typeof value.identify === 'function';

/** Every provider's route with the provider its handler module exports. */
export async function loadProviderRoutes(root: URL = PROJECT_ROOT): Promise<ProviderRoute[]> {
  return Promise.all(
    providerRouteDefinitions().map(async (route) => {
      const module: Record<string, unknown> = await import(new URL(`${route.module}.ts`, root).href);
      if (!isProvider(module.provider)) {
        throw new RouteConfigError(
          `${route.module}.ts exports no \`provider\`: the local stack cannot serve ${route.method} ${route.path}`,
        );
      }
      return { ...route, provider: module.provider };
    }),
  );
}

export interface RouteMatcher<T> {
  /** The route for a request, `method-not-allowed` when only the path matches, or null. */
  match(
    method: string,
    rawPath: string,
  ): { route: T; pathParameters: Record<string, string> | undefined } | 'method-not-allowed' | null;
  /** Methods accepted on a path (for `Allow`). */
  methods(rawPath: string): string[];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// API Gateway hands handlers decoded parameters; a malformed escape is passed on as it came.
const decode = (value: string) => {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};

function compile(template: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template
    .split('/')
    .map((segment) => {
      const param = /^\{([A-Za-z0-9_.-]+)(\+?)\}$/.exec(segment);
      if (!param) return escapeRegExp(segment);
      names.push(param[1] as string);
      return param[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}$`), names };
}

export function routeMatcher<T extends { method: string; path: string }>(
  routes: readonly T[],
): RouteMatcher<T> {
  const compiled = routes.map((route) => ({ route, ...compile(route.path) }));
  const onPath = (rawPath: string) =>
    compiled.flatMap((entry) => {
      const found = entry.pattern.exec(rawPath);
      return found ? [{ entry, values: found.slice(1) }] : [];
    });
  return {
    match(method, rawPath) {
      const candidates = onPath(rawPath);
      if (candidates.length === 0) return null;
      const hit = candidates.find(
        ({ entry }) => entry.route.method === method || entry.route.method === 'ANY',
      );
      if (!hit) return 'method-not-allowed';
      const { entry, values } = hit;
      const pathParameters =
        entry.names.length === 0
          ? undefined
          : Object.fromEntries(entry.names.map((name, i) => [name, decode(values[i] ?? '')]));
      return { route: entry.route, pathParameters };
    },
    methods: (rawPath) => [...new Set(onPath(rawPath).map(({ entry }) => entry.route.method))],
  };
}
