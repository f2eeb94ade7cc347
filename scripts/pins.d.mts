/** The pinned versions, ports and test credentials of platform/versions.env. */
export function readPins(): Record<string, string>;
