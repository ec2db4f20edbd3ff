import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.ts';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'nebula-config-'));

describe('configuration', () => {
  it('gives the embedded defaults with no configuration at all', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.home).toBe(path.resolve('.nebula'));
    expect(c.objectStore.backend).toBe('file');
    expect(c.objectStore.path).toBe(path.join(path.resolve('.nebula'), 'objects'));
    expect(c.databaseUrl).toBeUndefined();
    expect(c.uploads.allowPrivateUrls).toBe(false);
  });

  it('reads environment variables over the YAML file', () => {
    const dir = tmp();
    const file = path.join(dir, 'nebula.yml');
    writeFileSync(file, 'port: 9000\nobjectStore:\n  backend: s3\n  s3:\n    bucket: data-bucket\n');
    const c = loadConfig({ NEBULA_PORT: '9100', NEBULA_CONFIG: file, NEBULA_S3_ENDPOINT: 'http://127.0.0.1:4568' });
    expect(c.port).toBe(9100);
    expect(c.objectStore.s3).toMatchObject({ bucket: 'data-bucket', endpoint: 'http://127.0.0.1:4568', region: 'us-east-1' });
  });

  it.each([
    [{ NEBULA_PORT: 'eighty' }, /NEBULA_PORT: expected a number/],
    [{ NEBULA_PORT: '70000' }, /port \(environment variable NEBULA_PORT\)/],
    [{ DATABASE_URL: 'mysql://x' }, /databaseUrl \(environment variable DATABASE_URL\)/],
    [{ NEBULA_ADMIN_KEY: 'short' }, /adminKey/],
    [{ NEBULA_OBJECT_STORE: 's3' }, /objectStore.s3: required/],
    [{ NEBULA_UPLOAD_ALLOW_PRIVATE_URLS: 'maybe' }, /NEBULA_UPLOAD_ALLOW_PRIVATE_URLS: expected true or false/],
  ])('rejects %j with a message naming the key', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('names an unknown key and a bad value in the YAML file', () => {
    const dir = tmp();
    const unknown = path.join(dir, 'a.yml');
    writeFileSync(unknown, 'prot: 80\n');
    expect(() => loadConfig({}, unknown)).toThrow(/prot/);
    const badType = path.join(dir, 'b.yml');
    writeFileSync(badType, 'tasks:\n  concurrency: many\n');
    expect(() => loadConfig({}, badType)).toThrow(/tasks\.concurrency \(in .*b\.yml\)/);
    const notYaml = path.join(dir, 'c.yml');
    writeFileSync(notYaml, 'port: [1\n');
    expect(() => loadConfig({}, notYaml)).toThrow(/invalid YAML/);
    expect(() => loadConfig({}, path.join(dir, 'missing.yml'))).toThrow(/missing\.yml/);
  });
});

describe('jobs', () => {
  it('sweeps other attempts\' objects 600 s after a job ends unless told otherwise', () => {
    expect(loadConfig({}).jobs.supersededSweepDelaySeconds).toBe(600);
    expect(loadConfig({ NEBULA_SUPERSEDED_SWEEP_DELAY_SECONDS: '0' }).jobs.supersededSweepDelaySeconds).toBe(0);
    expect(() => loadConfig({ NEBULA_SUPERSEDED_SWEEP_DELAY_SECONDS: '-1' })).toThrow(/jobs\.supersededSweepDelaySeconds/);
  });
});

describe('job destinations', () => {
  it('defaults to one local destination and names a rule that points nowhere', () => {
    expect(loadConfig({}).jobs.defaultDestination).toBe('local');
    const file = path.join(tmp(), 'jobs.yml');
    writeFileSync(file, 'jobs:\n  rules:\n    - tool: "bwa*"\n      destination: slurm\n');
    expect(() => loadConfig({}, file)).toThrow(/jobs\.rules\.0\.destination .*no destination named "slurm"/);
  });
});
