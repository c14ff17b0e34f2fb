import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HyperctlError } from '../errors.js';
import type { RunView } from '../run/run-view.js';
import { sendError, sendJson } from './http-util.js';
import { route } from './routes.js';
import { createToken, tokenMatches } from './token.js';

/** A running daemon. */
export interface Daemon {
  /** `http://host:port`, for people and the CLI (which sends the token in a header). */
  readonly url: string;
  /** `http://host:port/TOKEN`: the base URL handed to jobs; its path authenticates them. */
  readonly portal: string;
  readonly token: string;
  /** The address and port it listens on (`0.0.0.0` or `::` for every address), for what connects to it from this machine. */
  readonly address: { readonly host: string; readonly port: number };
  /** Why it listens elsewhere than asked: the default port was taken. */
  readonly notice?: string;
  close(): Promise<void>;
}

/** The port a daemon takes when none is configured. */
export const defaultDaemonPort = 8060;

/**
 * {@link startDaemon} on `port`, or when none is given on {@link defaultDaemonPort}, and on any free
 * port when that one is taken (another batch serves there): nothing depends on the default, since
 * jobs get the portal from their environment and the CLI finds it in the batch's folder. A port
 * that was asked for and is taken stays an error.
 */
export async function startDaemonOn(view: RunView, host: string, port: number | undefined): Promise<Daemon> {
  if (port !== undefined) return startDaemon(view, { host, port });
  try {
    return await startDaemon(view, { host, port: defaultDaemonPort });
  } catch (error) {
    if (!(error instanceof HyperctlError && error.code === 'E_DAEMON_PORT_IN_USE')) throw error;
    const daemon = await startDaemon(view, { host, port: 0 });
    return { ...daemon, notice: `port ${defaultDaemonPort} is in use (by another batch?), so this daemon listens on ${daemon.url}` };
  }
}

/**
 * Serves a run's HTTP API on `host:port` (port 0 picks a free one). Every request must carry the
 * run's token, as the first path segment or as `Authorization: Bearer TOKEN`.
 */
export async function startDaemon(view: RunView, config: { readonly host: string; readonly port: number }): Promise<Daemon> {
  const token = createToken();
  const streams = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://daemon');
    let segments: string[];
    try {
      segments = url.pathname
        .split('/')
        .filter((s) => s !== '')
        .map(decodeURIComponent);
    } catch {
      return sendError(res, 400, 'E_BAD_REQUEST', 'malformed percent-encoding in the path');
    }
    let path: string[] | undefined;
    if (tokenMatches(token, segments[0])) path = segments.slice(1);
    else if (tokenMatches(token, /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1])) path = segments;
    if (!path) {
      const message = 'a valid token is required (first path segment of the portal, or Authorization: Bearer)';
      // The original tool's clients read every answer of its routes as `{code, data}`.
      if (segments[0] === 'hyperctl' || segments[1] === 'hyperctl') return sendJson(res, 401, { code: -1, data: { msg: message } });
      return sendError(res, 401, 'E_UNAUTHORIZED', message);
    }
    // The dashboard's links are relative to its folder: `/TOKEN` must become `/TOKEN/`.
    if (segments.length === 1 && path.length === 0 && !url.pathname.endsWith('/')) {
      res.writeHead(308, { location: `${url.pathname}/`, 'referrer-policy': 'no-referrer' });
      return void res.end();
    }
    route({ view, req, res, path, query: url.searchParams, streams }).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'E_INTERNAL', (error as Error).message);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  // `localhost` may resolve to ::1 first; jobs and clients reliably reach 127.0.0.1.
  const bindHost = config.host === 'localhost' ? '127.0.0.1' : config.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        reject(
          new HyperctlError(
            'E_DAEMON_PORT_IN_USE',
            `daemon.port: port ${config.port} on ${config.host} is already in use; choose another daemon.port (0 picks a free one) or stop what uses it`,
            { cause: error },
          ),
        );
      else if (error.code === 'EACCES')
        reject(
          new HyperctlError(
            'E_CONFIG_INVALID',
            `daemon.port: not allowed to listen on port ${config.port} (EACCES); ports below 1024 need privileges: choose another`,
            { cause: error },
          ),
        );
      else
        reject(
          new HyperctlError(
            'E_CONFIG_INVALID',
            `daemon.host: cannot listen on ${JSON.stringify(config.host.length > 80 ? `${config.host.slice(0, 80)}…` : config.host)} (${error.code ?? error.message})`,
            { cause: error },
          ),
        );
    });
    server.listen(config.port, bindHost, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = bindHost.includes(':') ? `[${bindHost}]` : bindHost;
  const url = `http://${host}:${port}`;
  return {
    url,
    portal: `${url}/${token}`,
    token,
    address: { host: bindHost, port },
    async close() {
      for (const res of streams) res.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Keep-alive sockets of clients may not count as idle yet; in-flight answers get a moment to finish.
        setTimeout(() => server.closeAllConnections(), 100).unref();
      });
    },
  };
}
