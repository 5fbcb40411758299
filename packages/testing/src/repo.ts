import path from 'node:path';

/** The repository's root: the fixtures run the services and read the chart's files from here. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
