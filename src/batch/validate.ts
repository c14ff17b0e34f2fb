import * as v from 'valibot';
import { HyperctlError, type HyperctlErrorCode } from '../errors.js';
import { configShapeIssues } from './config-shape.js';
import { formatPath } from './field-path.js';
import { editDistance } from '../text/closest-names.js';

function describeIssue(issue: v.BaseIssue<unknown>, knownKeys: (path: readonly (string | number)[]) => readonly string[]): string {
  if (issue.type === 'strict_object' && issue.received === 'undefined') return 'required';
  if (issue.type === 'strict_object' && issue.expected === 'never') {
    const parent = (issue.path ?? []).slice(0, -1).map((p) => p.key as string | number);
    const key = String(issue.path?.at(-1)?.key);
    const hint = closest(key, knownKeys(parent));
    return hint ? `unknown key (did you mean "${hint}"?)` : 'unknown key';
  }
  if (!issue.message.startsWith('Invalid ')) return issue.message;
  const expected = issue.expected === 'Array' ? 'a list' : issue.expected === 'Object' ? 'an object' : issue.expected;
  const got = issue.input === null ? 'null' : Array.isArray(issue.input) ? 'array' : typeof issue.input;
  return `expected ${expected}, got ${issue.received}${issue.kind === 'schema' ? ` (${got})` : ''}`;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/**
 * The keys a strict object schema accepts at `path` inside `schema`, for "did you mean" hints; in
 * a variant (the backends) those of every option that has the path.
 */
function keysAt(schema: unknown, path: readonly (string | number)[]): readonly string[] {
  const n = unwrap(schema) as
    | { entries?: Record<string, unknown>; item?: unknown; value?: unknown; options?: { entries?: Record<string, unknown> }[] }
    | undefined;
  if (n === undefined) return [];
  if (n.options) return [...new Set(n.options.flatMap((option) => keysAt(option, path)))];
  if (path.length === 0) return Object.keys(n.entries ?? {});
  const [key, ...rest] = path;
  if (typeof key === 'number' && n.item) return keysAt(n.item, rest);
  if (n.entries && typeof key === 'string') return keysAt(n.entries[key], rest);
  return n.value ? keysAt(n.value, rest) : [];
}

function unwrap(node: unknown): unknown {
  let n = node as { wrapped?: unknown; pipe?: unknown[]; type?: string } | undefined;
  while (n) {
    if (n.wrapped) n = n.wrapped as typeof n;
    // A pipe's schema is its first item, or the first after a `custom` check that guards it.
    else if (n.pipe && n.pipe[0] !== n) n = (n.pipe.find((item, i) => i > 0 && (item as { kind?: string }).kind === 'schema') ?? n.pipe[0]) as typeof n;
    else break;
  }
  return n;
}

/**
 * Checks `input` against `schema`; on failure throws a {@link HyperctlError} listing every issue as
 * `path: problem`, prefixed by `where` (a file name) when given.
 */
export function parseWith<S extends v.GenericSchema>(schema: S, input: unknown, code: HyperctlErrorCode, where?: string): v.InferOutput<S> {
  const shape = configShapeIssues(input);
  if (shape.length > 0) throw invalid(code, shape, where);
  const result = v.safeParse(schema, input, { abortEarly: false });
  if (result.success) return result.output;
  const issues = result.issues.map((issue) => {
    const path = (issue.path ?? []).map((p) => p.key as string | number);
    return `${formatPath(path)}: ${describeIssue(issue, (parent) => keysAt(schema, parent))}`;
  });
  throw invalid(code, issues, where);
}

/** Builds the error for a list of `path: problem` lines. */
export function invalid(code: HyperctlErrorCode, issues: readonly string[], where?: string): HyperctlError {
  const shown = issues.slice(0, 20);
  const more = issues.length > shown.length ? `\n  … and ${issues.length - shown.length} more` : '';
  const head = where
    ? `${where}: invalid ${code === 'E_TEMPLATE_INVALID' ? 'template' : 'batch config'}`
    : `invalid ${code === 'E_TEMPLATE_INVALID' ? 'template' : 'batch config'}`;
  const message = issues.length === 1 ? `${where ? `${where}: ` : ''}${issues[0]}` : `${head}:\n  ${shown.join('\n  ')}${more}`;
  return new HyperctlError(code, message, { issues });
}
