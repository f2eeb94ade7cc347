// The pinned versions, ports and test credentials of platform/versions.env (the one place they live),
// for the scripts and the tests. KEY=value and KEY="value" lines; everything else is ignored.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const file = fileURLToPath(new URL('../platform/versions.env', import.meta.url));

/** @returns {Record<string, string>} */
export function readPins() {
  const pins = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=("?)([^"]*)\2\s*$/.exec(line.trim());
    if (match) pins[match[1]] = match[3];
  }
  return pins;
}
