import type { BackendSpec } from './spec.js';

/** A backend's settings as a batch's folder keeps them: SSH passwords and passphrases never written. */
export function maskedBackend(backend: BackendSpec): BackendSpec {
  if (backend.type !== 'remote') return backend;
  const machines = backend.machines.map((m) => ({
    ...m,
    ...(m.password === undefined ? {} : { password: '***' }),
    ...(m.passphrase === undefined ? {} : { passphrase: '***' }),
  }));
  return { ...backend, machines };
}
