import { formatPath } from './field-path.js';

/** The deepest nesting a config may have: far more than any batch needs, far less than a stack takes. */
export const maxConfigDepth = 64;

/** Keys that JavaScript treats as more than a name; valibot drops them, so they are refused instead. */
const forbiddenKeys = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * What no schema can say about a config: nesting deeper than {@link maxConfigDepth} (or a cycle, in
 * a config built by code) and keys that are not plain names. Walks without recursion, so a hostile
 * config cannot overflow the stack. Returns `path: problem` lines, at most 20.
 */
export function configShapeIssues(config: unknown): string[] {
  const issues: string[] = [];
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: config, path: [] }];
  while (stack.length > 0 && issues.length < 20) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= maxConfigDepth) {
      issues.push(`${formatPath(path.slice(0, 8))}${path.length > 8 ? '…' : ''}: nested deeper than ${maxConfigDepth} levels`);
      break;
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(value);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      if (forbiddenKeys.has(key)) issues.push(`${formatPath([...path, key])}: "${key}" cannot be used as a key`);
      else stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return issues;
}
