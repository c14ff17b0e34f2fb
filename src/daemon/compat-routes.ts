import type { JobResult } from '../state/job-result.js';
import { sendJson, streamJsonArray } from './http-util.js';
import type { RouteContext } from './route-table.js';

/** The original tool's routes (`/hyperctl/…`), answered as its job-side client expects: `{ code, data }`. */
export async function compatRoute({ req, res, view }: RouteContext, method: string, path: readonly string[]): Promise<void> {
  const compatJob = (job: JobResult) => {
    const spec = view.jobSpec(job.name);
    return {
      name: job.name,
      params: job.params,
      status: job.status,
      resource: spec?.resource ?? null,
      working_dir: spec?.workingDir ?? null,
      data_dir: job.dataDir,
      assets: [],
    };
  };
  const fail = (status: number, data: unknown) => sendJson(res, status, { code: -1, data });
  if (path.length === 0 && method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return void res.end('Welcome to hyperctl.');
  }
  if (path[0] !== 'api' || path[1] !== 'job') return fail(404, { msg: 'resource not found' });
  const [, , name, operation, ...rest] = path;
  if (name === undefined && method === 'GET')
    return streamJsonArray(req, res, '{"code":0,"data":{"jobs":', view.states(), (job) => compatJob(view.result(job)), '}}', view.counts().total);
  const job = name === undefined ? undefined : view.job(name);
  if (!job) return fail(404, { msg: 'resource not found' });
  if (operation === undefined && method === 'GET') return sendJson(res, 200, { code: 0, data: compatJob(job) });
  if (operation === 'kill' && rest.length === 0 && method === 'POST') {
    if (view.killJob(job.name) !== 'killed') return fail(409, `job ${job.name} is not running but ${job.status}`);
    return sendJson(res, 200, { code: 0, data: { msg: `${job.name} killed` } });
  }
  return fail(404, { msg: 'resource not found' });
}
