export { type FeastConfig, type FeastOptions, feastConfigSpec, resolveFeastConfig } from './config';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
