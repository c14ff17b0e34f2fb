import pkg from '../package.json' with { type: 'json' };

/** The running hyperctl's version. */
export const hyperctlVersion: string = pkg.version;
