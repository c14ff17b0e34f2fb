import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunView } from '../run/run-view.js';

/** What a route's handler is given. */
export interface RouteContext {
  readonly view: RunView;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Path segments after the token, percent-decoded one by one. */
  readonly path: readonly string[];
  readonly query: URLSearchParams;
  /** Where SSE streams register, so the daemon can end them on close. */
  readonly streams: Set<ServerResponse>;
}

/** An OpenAPI parameter, as the document describes it; a path parameter's `enum` also limits what matches. */
export interface ParameterDoc {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly required?: boolean;
  readonly schema: { readonly enum?: readonly string[] } & Readonly<Record<string, unknown>>;
  readonly description?: string;
}

/** A route's OpenAPI operation: what the document says of it. */
export interface OperationDoc {
  readonly summary: string;
  readonly parameters?: readonly ParameterDoc[];
  readonly requestBody?: object;
  readonly responses: Readonly<Record<number, object>>;
}

/**
 * One route of the daemon's native API: how it is matched, what the OpenAPI document says of it,
 * and its handler, side by side, so that the two cannot drift apart.
 */
export interface Route {
  readonly method: 'GET' | 'POST';
  /** The OpenAPI path template, `{name}` for a path parameter (one segment). */
  readonly path: string;
  readonly doc: OperationDoc;
  readonly handle: (ctx: RouteContext, params: Readonly<Record<string, string>>) => Promise<void> | void;
}

interface Compiled {
  readonly route: Route;
  /** A literal segment, or a parameter with the values it may take (any, without an enum). */
  readonly segments: readonly ({ literal: string } | { param: string; values?: readonly string[] })[];
}

/** Finds the route for a request; undefined when none has that method and path. */
export type RouteMatcher = (method: string, path: readonly string[]) => { route: Route; params: Record<string, string> } | undefined;

/** A matcher over `routes`, their templates read once. */
export function routeMatcher(routes: readonly Route[]): RouteMatcher {
  const compiled: Compiled[] = routes.map((route) => ({
    route,
    segments: route.path
      .split('/')
      .filter((segment) => segment !== '')
      .map((segment) => {
        const param = /^\{(.+)\}$/.exec(segment)?.[1];
        if (param === undefined) return { literal: segment };
        const values = route.doc.parameters?.find((p) => p.in === 'path' && p.name === param)?.schema.enum;
        return values ? { param, values } : { param };
      }),
  }));
  return (method, path) => {
    for (const { route, segments } of compiled) {
      if (route.method !== method || segments.length !== path.length) continue;
      const params: Record<string, string> = {};
      const matches = segments.every((segment, i) => {
        const given = path[i]!;
        if ('literal' in segment) return segment.literal === given;
        if (segment.values && !segment.values.includes(given)) return false;
        params[segment.param] = given;
        return true;
      });
      if (matches) return { route, params };
    }
    return undefined;
  };
}

/** The OpenAPI `paths` object of `routes`: each template with its operations. */
export function openApiPaths(routes: readonly Route[]): Record<string, Record<string, OperationDoc>> {
  const paths: Record<string, Record<string, OperationDoc>> = {};
  for (const route of routes) paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: route.doc };
  return paths;
}
