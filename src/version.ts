import pkg from '../package.json' with { type: 'json' };

/**
 * The running hyperctl's version.
 * @public
 */
export const hyperctlVersion: string = pkg.version;
