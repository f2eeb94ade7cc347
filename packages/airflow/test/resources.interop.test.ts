import { inspect } from 'node:util';
import { ConflictError, NotFoundError } from '@mlops/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_NAME, problemDetails } from '../src/index';
import { platformClient, requireAirflow, unique } from './support/platform';
import { pythonReference } from './support/python';
import { rejection } from './support/rejection';

const client = platformClient();
beforeAll(requireAirflow);

describe('variables, connections, pools, health and version on the real Airflow', () => {
  it('sets, reads, lists and deletes variables; values that are not strings come back as JSON', async () => {
    const key = unique('mlops_test_var');
    await client.variables.set(key, { threshold: 0.7, tags: ['a'] }, { description: 'from tests' });
    const stored = await client.variables.get(key);
    expect(stored.value).toBe('{"threshold": 0.7, "tags": ["a"]}');
    expect(await client.variables.getJson(key)).toEqual({ threshold: 0.7, tags: ['a'] });
    expect(pythonReference('variable', { key })).toBe(stored.value);
    await client.variables.set(key, 'plain text'); // exists: replaced
    expect((await client.variables.get(key)).value).toBe('plain text');
    await expect(client.variables.getJson(key)).rejects.toThrow(
      /Could not decode the value of Airflow variable/,
    );
    const listed = await client.variables.list({ variable_key_pattern: key }).toArray();
    expect(listed.map((v) => v.key)).toEqual([key]);
    await client.variables.delete(key);
    expect(NotFoundError.isInstance(await rejection(client.variables.get(key)))).toBe(true);
  }, 60_000);

  it('keeps connection passwords and extras out of everything it prints', async () => {
    const id = unique('mlops_test_conn');
    const password = `pw-${unique('secret')}`;
    // Airflow masks extra keys it deems sensitive (api_key, ...) itself; this one it returns as stored.
    const extra = JSON.stringify({ region: `region-${unique('secret')}` });
    const created = await client.connections.create({
      connection_id: id,
      conn_type: 'postgres',
      host: 'db.internal',
      port: 5432,
      login: 'etl',
      password,
      extra,
    });
    expect(created.host).toBe('db.internal');
    const read = await client.connections.get(id);
    // The extra is readable in code.
    expect(JSON.parse(read.extra ?? 'null')).toEqual(JSON.parse(extra));
    const printed = `${JSON.stringify(read)} ${inspect(read)} ${JSON.stringify(await client.connections.list({ connection_id_pattern: id }).toArray())}`;
    expect(printed).not.toContain(password);
    expect(printed).not.toContain(JSON.parse(extra).region);
    expect(printed).toContain('db.internal');
    const duplicate = await rejection(
      client.connections.create({ connection_id: id, conn_type: 'postgres', password, extra }),
    );
    expect(ConflictError.isInstance(duplicate)).toBe(true);
    expect(`${duplicate.message} ${JSON.stringify(duplicate)}`).not.toContain(password);
    const updated = await client.connections.update({
      connection_id: id,
      conn_type: 'postgres',
      host: 'db2.internal',
    });
    expect(updated.host).toBe('db2.internal');
    expect(updated.login).toBe('etl');
    await client.connections.delete(id);
    expect(NotFoundError.isInstance(await rejection(client.connections.get(id)))).toBe(true);
  }, 60_000);

  it('creates, updates and deletes pools, as the Python client reads them', async () => {
    const name = unique('mlops_test_pool');
    expect((await client.pools.create({ name, slots: 3, description: 'tests' })).open_slots).toBe(3);
    expect((await client.pools.update(name, { slots: 5 })).slots).toBe(5);
    expect(pythonReference('pool', { name })).toEqual({ name, slots: 5, description: 'tests' });
    const listed = await client.pools.list({ pool_name_pattern: name }).toArray();
    expect(listed.map((p) => [p.name, p.slots])).toEqual([[name, 5]]);
    await client.pools.delete(name);
    expect(NotFoundError.isInstance(await rejection(client.pools.get(name)))).toBe(true);
  }, 60_000);

  it('reads health and version', async () => {
    const health = await client.monitor.health();
    expect(health.metadatabase.status).toBe('healthy');
    expect(health.scheduler.status).toBe('healthy');
    expect((await client.monitor.version()).version).toBe('3.3.2');
    expect(PACKAGE_NAME).toBe('@mlops/airflow');
  });

  it("keeps Airflow's problem details: a 422's invalid fields with their loc", async () => {
    const error = await rejection(
      client.raw.POST('/api/v2/pools', { body: { name: unique('mlops_test_bad'), slots: -5 } }),
    );
    const problem = problemDetails(error);
    expect(problem?.status).toBe(422);
    expect(problem?.validationErrors.map((v) => v.loc)).toEqual([['body', 'slots']]);
    expect(problem?.detail).toMatch(/^body\.slots: /);
  });
});
