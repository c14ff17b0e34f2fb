import { describe, expect, it } from 'vitest';
import { openApiPaths, type Route, routeMatcher } from '../../src/daemon/route-table.js';

const noop = () => undefined;
const routes: Route[] = [
  { method: 'GET', path: '/api/v1/jobs/{name}', doc: { summary: 'one', responses: {} }, handle: noop },
  { method: 'POST', path: '/api/v1/jobs/{name}', doc: { summary: 'two', responses: {} }, handle: noop },
  {
    method: 'GET',
    path: '/api/v1/jobs/{name}/logs/{stream}',
    doc: { summary: 'logs', parameters: [{ name: 'stream', in: 'path', schema: { enum: ['stdout', 'stderr'] } }], responses: {} },
    handle: noop,
  },
];

describe('the route table', () => {
  it('matches a request by method and path, giving the path parameters', () => {
    const match = routeMatcher(routes);
    expect(match('GET', ['api', 'v1', 'jobs', 'a b/c'])).toEqual({ route: routes[0], params: { name: 'a b/c' } });
    expect(match('POST', ['api', 'v1', 'jobs', 'x'])?.route).toBe(routes[1]);
    expect(match('DELETE', ['api', 'v1', 'jobs', 'x'])).toBeUndefined();
    expect(match('GET', ['api', 'v1', 'jobs'])).toBeUndefined();
    expect(match('GET', ['api', 'v1', 'jobs', 'x', 'logs', 'stderr'])?.params).toEqual({ name: 'x', stream: 'stderr' });
  });

  it('matches a path parameter only to the values its description allows', () => {
    expect(routeMatcher(routes)('GET', ['api', 'v1', 'jobs', 'x', 'logs', 'spec.json'])).toBeUndefined();
  });

  it('describes every route under its path, one operation per method', () => {
    const paths = openApiPaths(routes);
    expect(Object.keys(paths)).toEqual(['/api/v1/jobs/{name}', '/api/v1/jobs/{name}/logs/{stream}']);
    expect(Object.keys(paths['/api/v1/jobs/{name}']!)).toEqual(['get', 'post']);
  });
});
