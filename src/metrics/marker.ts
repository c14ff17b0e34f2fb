/** What starts a metrics line on a job's stdout: `hyperctl:metrics {"loss": 0.3}`. */
export const metricsMarker = 'hyperctl:metrics ';
