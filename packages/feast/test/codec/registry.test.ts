// The real registry of the running platform, decoded with the code generated from Feast 0.67's descriptors.
import { readFileSync } from 'node:fs';
import { fromBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ValueType } from '../../src/codec';
import { RegistrySchema } from '../../src/generated/proto/feast/core/Registry_pb';
import { RegistryServer } from '../../src/generated/proto/feast/registry/RegistryServer_pb';
import { readRegistryFile, repoRoot } from './helpers';

function readRegistry() {
  return fromBinary(RegistrySchema, readRegistryFile());
}

/** The names a Feast repo file defines for a kind of object, e.g. FeatureView(name="...") */
function definedNames(source: string, kind: string): string[] {
  return [...source.matchAll(new RegExp(`= ${kind}\\(\\s*name="([^"]+)"`, 'g'))]
    .map((m) => m[1] as string)
    .sort();
}

describe('the platform registry (registry.db) decodes with the generated RegistrySchema', () => {
  const features = readFileSync(`${repoRoot}platform/feast/features.py`, 'utf8');

  it('lists the feature views, entities and feature services of platform/feast/features.py', () => {
    const registry = readRegistry();
    const inProject = <T extends { spec?: { project: string; name: string } }>(items: T[]) =>
      items
        .filter((i) => i.spec?.project === 'mlops_demo')
        .map((i) => i.spec?.name as string)
        .sort();
    expect(inProject(registry.featureViews)).toEqual(definedNames(features, 'FeatureView'));
    expect(inProject(registry.featureServices)).toEqual(definedNames(features, 'FeatureService'));
    expect(inProject(registry.entities)).toEqual([...definedNames(features, 'Entity'), '__dummy'].sort());
    expect(inProject(registry.onDemandFeatureViews)).toEqual(['transformed_conv_rate']);
    expect(registry.projects.map((p) => p.spec?.name)).toContain('mlops_demo');
    expect(registry.versionId).not.toBe('');
    expect(registry.lastUpdated?.seconds).toBeGreaterThan(0n);
  });

  it('carries the join-key and feature value types the online path needs', () => {
    const registry = readRegistry();
    const view = (name: string) => registry.featureViews.find((v) => v.spec?.name === name)?.spec;
    expect(view('driver_customer_stats')?.entityColumns.map((c) => [c.name, c.valueType])).toEqual([
      ['driver_id', ValueType.INT64],
      ['customer_id', ValueType.STRING],
    ]);
    const allTypes = view('driver_all_types');
    expect(allTypes?.features.find((f) => f.name === 'unix_timestamp_list_val')?.valueType).toBe(
      ValueType.UNIX_TIMESTAMP_LIST,
    );
    expect(allTypes?.ttl?.seconds ?? 0n).toBe(0n);
    expect(view('driver_hourly_stats')?.ttl?.seconds).toBe(86_400n);
    expect(view('driver_extended_types')?.features.find((f) => f.name === 'decimal_set_val')?.valueType).toBe(
      ValueType.DECIMAL_SET,
    );
  });

  it('has the registry server service descriptor, with Proto() returning the Registry', () => {
    expect(RegistryServer.typeName).toBe('feast.registry.RegistryServer');
    expect(RegistryServer.method.proto.output.typeName).toBe('feast.core.Registry');
  });
});
