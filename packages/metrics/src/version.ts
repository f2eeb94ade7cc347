declare const __MLOPS_PACKAGE_NAME__: string;
declare const __MLOPS_PACKAGE_VERSION__: string;

/** This package's name and version, injected at build time; they make up its User-Agent. */
export const PACKAGE_NAME: string = __MLOPS_PACKAGE_NAME__;
export const PACKAGE_VERSION: string = __MLOPS_PACKAGE_VERSION__;
