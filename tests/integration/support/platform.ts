import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import { readPins } from '../../../scripts/pins.mjs';

export const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The pins and ports of platform/versions.env, the one place they live. */
export const pins: Record<string, string> = readPins();

export const port = (name: string): number => Number(pins[name]);
export const url = (name: string): string => `http://127.0.0.1:${port(name)}`;

/** Wraps a connection failure in an error that says how to start the component. */
export async function needs<T>(component: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const code =
      (error as { code?: string; cause?: { code?: string } }).code ??
      (error as { cause?: { code?: string } }).cause?.code;
    if (code === 'ECONNREFUSED' || /ECONNREFUSED|Could not reach/.test(String(error))) {
      throw new Error(
        `${component} is not running: start the platform with \`pnpm platform up ${component}\` (${String(error)})`,
      );
    }
    throw error;
  }
}

/** Validates values against a schema of a captured OpenAPI spec (JSON Schema 2020-12 in OpenAPI 3.1). */
export function schemaValidator(specFile: string) {
  const spec = JSON.parse(readFileSync(`${root}openapi/${specFile}`, 'utf8'));
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: 'spec', components: spec.components });
  return (schemaName: string, value: unknown): string[] => {
    if (!spec.components?.schemas?.[schemaName]) return [`${specFile} has no schema ${schemaName}`];
    const validate = ajv.getSchema(`spec#/components/schemas/${schemaName}`)!;
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
}
