/**
 * The local stand-in for API Gateway's HTTP API: node:http in front of the webhook handlers. Each
 * request becomes the genuine payload-2.0 event (lib/local/api-gateway.ts), each handler result a
 * response. Differences from API Gateway, on purpose: a known path with the wrong method gets 405
 * (API Gateway answers 404), and a body over the ingress's limit (MAX_BODY_BYTES, which the
 * handler would refuse anyway) gets 413 as soon as that many bytes arrived: the server stops
 * reading, answers and closes the connection, so a held upload pins at most that much memory.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_BODY_BYTES } from '../envelope';
import type { WebhookHandler } from '../ingress';
import { printable } from '../printable';
import { toHttpApiEvent } from './api-gateway';
import { noRouteReason, shownPath } from './not-found';
import { routeMatcher } from './routes';

/**
 * The most body the local server reads: the ingress's own limit (any more is a 413 from the
 * handler), not Lambda's 6 MiB invocation limit, so 200 held uploads pin ~200 MB, not 1.2 GB.
 */
export const MAX_REQUEST_BYTES = MAX_BODY_BYTES;
/** How long an oversized upload's connection stays half-closed so the client can read its 413. */
const OVERSIZED_CLOSE_GRACE_MS = 1_000;
/** API Gateway's HTTP API gives an integration at most 30 s (http-api-quotas.html); a request may take no longer to arrive. */
export const REQUEST_TIMEOUT_MS = 30_000;

export interface LocalHttpRoute {
  method: string;
  /** Template as in serverless.yml; the only form of the path that is logged (the real one may hold a token). */
  path: string;
  handler: WebhookHandler;
}

export interface LocalServerOptions {
  routes: readonly LocalHttpRoute[];
  log?: (line: string) => void;
  maxBodyBytes?: number;
}

type Headers = Record<string, string>;

function send(response: ServerResponse, statusCode: number, body: string | Buffer, headers: Headers = {}) {
  response.writeHead(statusCode, { 'content-length': Buffer.byteLength(body), ...headers });
  response.end(body);
}

const sendJson = (response: ServerResponse, statusCode: number, body: unknown, headers: Headers = {}) =>
  send(response, statusCode, JSON.stringify(body), { 'content-type': 'application/json', ...headers });

/** The whole body, or null as soon as it exceeds `limit` (what was read so far is dropped). */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | null> {
  if (Number(request.headers['content-length']) > limit) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (finish: () => void) => {
      request.off('data', onData).off('end', onEnd).off('error', onError);
      finish();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) settle(() => resolve(null));
      else chunks.push(chunk);
    };
    const onEnd = () => settle(() => resolve(Buffer.concat(chunks, size)));
    const onError = (error: Error) => settle(() => reject(error));
    request.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/** What a log line may say about a response: the delivery id, or the one-line reason of a refusal. */
function summary(statusCode: number, body: string): string {
  try {
    const json = JSON.parse(body) as { id?: unknown; error?: unknown; message?: unknown };
    // A reason may quote what the provider sent (an event type): escaped, so it stays on this line.
    if (statusCode < 300 && typeof json.id === 'string') return ` delivery ${printable(json.id)}`;
    const reason = json.error ?? json.message;
    return typeof reason === 'string' ? ` (${printable(reason)})` : '';
  } catch {
    return '';
  }
}

export function createLocalServer({
  routes,
  log = () => {},
  maxBodyBytes = MAX_REQUEST_BYTES,
}: LocalServerOptions): Server {
  const matcher = routeMatcher(routes);

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const started = Date.now();
    const method = request.method ?? 'GET';
    const target = request.url ?? '/';
    const query = target.indexOf('?');
    const rawPath = query < 0 ? target : target.slice(0, query);
    const found = matcher.match(method, rawPath);
    if (found === null) {
      // The path as far as it cannot hold a secret, the route meant, every route (lib/local/not-found.ts).
      const path = shownPath(rawPath);
      const reason = noRouteReason(rawPath, routes);
      log(`${method} ${path} 404 (${reason})`);
      return sendJson(response, 404, {
        message: 'Not Found',
        error: `${printable(method)} ${path}: ${reason}`,
      });
    }
    if (found === 'method-not-allowed') {
      log(`${method} (wrong method) 405`);
      return sendJson(
        response,
        405,
        { message: 'Method Not Allowed' },
        { allow: matcher.methods(rawPath).join(', ') },
      );
    }
    const { route, pathParameters } = found;
    const body = await readBody(request, maxBodyBytes);
    if (body === null) {
      log(`${method} ${route.path} 413 (body over ${maxBodyBytes} bytes)`);
      // Stop reading the rest of an oversized body: answer, then close the connection. A FIN first
      // (end), the hard close a moment later: destroying a socket with unread bytes sends a TCP
      // reset, which can discard the 413 before the client has read it.
      request.pause();
      response.once('finish', () => {
        const socket = request.socket;
        socket.end();
        setTimeout(() => socket.destroy(), OVERSIZED_CLOSE_GRACE_MS).unref();
      });
      return sendJson(response, 413, { message: 'Request Entity Too Large' }, { connection: 'close' });
    }
    const event = toHttpApiEvent({
      method,
      path: rawPath,
      route: route.path,
      pathParameters,
      headers: request.headers,
      rawQueryString: query < 0 ? '' : target.slice(query + 1),
      body,
      sourceIp: request.socket.remoteAddress?.replace(/^::ffff:/, ''),
    });
    const requestId = event.requestContext.requestId;
    let result: Awaited<ReturnType<WebhookHandler>>;
    try {
      result = await route.handler(event);
    } catch (error) {
      log(
        `${method} ${route.path} 500 (handler threw: ${printable(String((error as Error)?.message))}) ${Date.now() - started} ms`,
      );
      return sendJson(response, 500, { message: 'Internal Server Error' }, { 'apigw-requestid': requestId });
    }
    const statusCode = result.statusCode ?? 200;
    const text = result.body ?? '';
    const headers: Headers = { 'apigw-requestid': requestId };
    for (const [name, value] of Object.entries(result.headers ?? {}))
      headers[name.toLowerCase()] = String(value);
    log(`${method} ${route.path} ${statusCode}${summary(statusCode, text)} ${Date.now() - started} ms`);
    send(response, statusCode, result.isBase64Encoded ? Buffer.from(text, 'base64') : text, headers);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log(`request failed: ${printable(String((error as Error)?.message))}`);
      if (!response.headersSent) sendJson(response, 500, { message: 'Internal Server Error' });
      else response.destroy();
    });
  });
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  return server;
}

/** Listens on 127.0.0.1:`port` (0: any free port) and returns the port. */
export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting, lets requests in progress finish for up to `graceMs`, then cuts the rest. */
export function close(server: Server, graceMs = 2_000): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
