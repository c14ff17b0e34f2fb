import { randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh secret for one batch run. */
export function createToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Compares in constant time, so response timing does not leak the token. */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
