/**
 * `@tributary/kafka/http`: an HTTP server for interactive queries across an application's
 * instances, on `node:http`.
 *
 * @packageDocumentation
 * @module @tributary/kafka/http
 */
export { QueryServer, createQueryServer, resolveQueryServerOptions } from './query-server.js';
export type { QueryServerOptions, ResolvedQueryServerOptions, StoreHttpOptions, RouteContext, RouteHandler, JsonResponse } from './query-server.js';
export { RouteTable } from './route-table.js';
export type { RouteMatch } from './route-table.js';
