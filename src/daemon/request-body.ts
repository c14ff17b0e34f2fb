import type { IncomingMessage, ServerResponse } from 'node:http';
import * as v from 'valibot';
import { isHyperctlError } from '../errors.js';
import { isPlainObject } from '../plain-object.js';
import { readJsonBody, sendBodyError, sendError, sendJson } from './http-util.js';

/** Reads a request's JSON body against `schema`; undefined (the answer sent) when it does not fit. */
export async function bodyOf<T extends v.GenericSchema>(
  req: IncomingMessage,
  res: ServerResponse,
  schema: T,
  maxBytes?: number,
): Promise<v.InferOutput<T> | undefined> {
  let body: unknown;
  try {
    body = await readJsonBody(req, maxBytes);
  } catch (error) {
    sendBodyError(res, error);
    return undefined;
  }
  const parsed = v.safeParse(schema, body);
  if (parsed.success) return parsed.output;
  const key = parsed.issues[0].path?.map((item) => item.key).join('.');
  sendError(res, 400, 'E_BAD_REQUEST', `request body${key ? `.${key}` : ''}: ${parsed.issues[0].message}`);
  return undefined;
}

/** Reads a request's query against `schema`; undefined (the answer sent) when it does not fit. */
export function queryOf<T extends v.GenericSchema>(query: URLSearchParams, res: ServerResponse, schema: T): v.InferOutput<T> | undefined {
  const parsed = v.safeParse(schema, Object.fromEntries(query));
  if (parsed.success) return parsed.output;
  sendError(res, 400, 'E_BAD_REQUEST', `${parsed.issues[0].path?.[0]?.key ?? 'query'}: ${parsed.issues[0].message}`);
  return undefined;
}

/** Answers a steering request with what it did, or its refusal with the status its code means. */
export async function steered(res: ServerResponse, change: () => unknown): Promise<void> {
  try {
    sendJson(res, 200, await change());
  } catch (error) {
    if (!isHyperctlError(error)) throw error;
    const status =
      ({ E_NOT_RUNNING: 409, E_CONFLICT: 409, E_JOB_NOT_FOUND: 404, E_USAGE: 400, E_CONFIG_INVALID: 400, E_TEMPLATE_INVALID: 400 } as Record<string, number>)[
        error.code
      ] ?? 500;
    sendError(res, status, error.code, error.message);
  }
}

/** An object, said so when the body is not one. */
export const anObject = (example: string) => v.custom<object>(isPlainObject, `expected an object such as ${example}`);

/** A whole number written in a query. */
export const wholeInQuery = v.pipe(v.string(), v.regex(/^\d+$/, 'expected a whole number'), v.transform(Number));
