/**
 * The server's routes: a method, a path pattern with `:name` segments, and a handler. A caller
 * adds its own (a dashboard's pages, server-sent events) beside the store routes.
 */
import type { RouteHandler } from './query-server.js';

interface Route {
  readonly method: string;
  readonly segments: readonly string[];
  readonly handler: RouteHandler;
}

/** What a path matched: the handler and the `:name` segments' values, decoded. */
export interface RouteMatch {
  readonly handler: RouteHandler;
  readonly params: Readonly<Record<string, string>>;
}

function split(path: string): string[] {
  return path.split('/').filter((segment) => segment.length > 0);
}

/** Routes, matched in the order added. */
export class RouteTable {
  private readonly routes: Route[] = [];

  /** Adds a route: `pattern` is a path such as `/stores/:store/keys/:key`. */
  add(method: string, pattern: string, handler: RouteHandler): this {
    if (!pattern.startsWith('/')) throw new TypeError(`A route pattern starts with '/': got ${JSON.stringify(pattern)}.`);
    this.routes.push({ method: method.toUpperCase(), segments: split(pattern), handler });
    return this;
  }

  /** Adds a GET route. */
  get(pattern: string, handler: RouteHandler): this {
    return this.add('GET', pattern, handler);
  }

  /**
   * The route for a request: `'method'` when the path matches only routes of other methods,
   * `undefined` when it matches none. Throws `URIError` for a malformed percent-encoding.
   */
  match(method: string, path: string): RouteMatch | 'method' | undefined {
    const segments = split(path);
    let otherMethod = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (params === undefined) continue;
      if (route.method !== method.toUpperCase()) {
        otherMethod = true;
        continue;
      }
      return { handler: route.handler, params };
    }
    return otherMethod ? 'method' : undefined;
  }
}

function matchSegments(pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let index = 0; index < pattern.length; index++) {
    const expected = pattern[index]!;
    const actual = segments[index]!;
    if (expected.startsWith(':')) params[expected.slice(1)] = decodeURIComponent(actual);
    else if (expected !== actual) return undefined;
  }
  return params;
}
