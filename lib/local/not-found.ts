/**
 * What the local stack says about a request to no route (404): the path asked for, the route
 * probably meant, and every route, so a mistyped webhook URL is fixed from the log or the answer.
 * A path can carry a secret (CallKaro's token is a segment), so at most its first two segments are
 * shown, each clipped and escaped; the query string never is.
 */
import { closest } from '../cli/args';
import { printable } from '../printable';

interface Route {
  method: string;
  path: string;
}

const MAX_SEGMENT = 40;

/** `/webhooks/twillio`, `/webhook/callkaro/…`: the first two segments of a raw path, escaped and clipped. */
export function shownPath(rawPath: string): string {
  const [, ...segments] = rawPath.split('/');
  const shown = segments.slice(0, 2).map((segment) => {
    const chars = [...segment];
    return chars.length > MAX_SEGMENT ? `${chars.slice(0, MAX_SEGMENT).join('')}…` : segment;
  });
  const rest = segments.slice(2);
  const tail = rest.length === 0 ? '' : rest.every((segment) => segment === '') ? '/' : '/…';
  return printable(`/${shown.join('/')}${tail}`);
}

/** The part of a route's path before its first `{parameter}`. */
const staticPart = (path: string) => {
  const brace = path.indexOf('/{');
  return brace < 0 ? path : path.slice(0, brace);
};

/** Why no route matched, in one line, without the path (the caller shows it with shownPath). */
export function noRouteReason(rawPath: string, routes: readonly Route[]): string {
  const list = `routes: ${routes.map((route) => `${route.method} ${route.path}`).join(', ')}`;
  const trimmed = rawPath.replace(/\/+$/, '');
  const needsParameter = routes.find(
    (route) => route.path.includes('/{') && staticPart(route.path) === trimmed,
  );
  if (needsParameter) {
    const parameter = needsParameter.path.slice(trimmed.length + 1).split('/')[0];
    return `the ${parameter} is missing: ${needsParameter.method} ${needsParameter.path}; ${list}`;
  }
  const asked = rawPath.split('/').slice(0, 3).join('/');
  const byPrefix = new Map(routes.map((route) => [staticPart(route.path), route.path]));
  const guess = closest(asked, [...byPrefix.keys()]);
  const meant = guess === undefined ? '' : ` (did you mean ${byPrefix.get(guess)}?)`;
  return `no such route${meant}; ${list}`;
}
