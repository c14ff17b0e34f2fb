import { byId } from './dom.js';

/** A request to the daemon's native API, relative to the page (whose address holds the token); rejects on an HTTP error. */
export async function api(path: string, options?: RequestInit): Promise<Response> {
  const response = await fetch(`api/v1/${path}`, options);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response;
}

/** The daemon stops serving when its batch ends (exit_on_finish): the page says so instead of failing silently. */
export function offline(): void {
  byId('progress').textContent = 'the daemon no longer answers; what is shown may be out of date';
}
