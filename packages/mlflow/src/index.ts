export { MlflowClient, type MlflowClientOptions } from './client';
export { type MlflowConfig, type MlflowOptions, mlflowConfigSpec, resolveMlflowConfig } from './config';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
