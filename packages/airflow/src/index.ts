export { type AirflowConfig, type AirflowOptions, airflowConfigSpec, resolveAirflowConfig } from './config';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
