import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.ts';
import type { Pool } from '../db/pool.ts';
import type { ObjectStore } from '../objectstore/types.ts';
import type { Logger } from '../util/log.ts';
import type { IdCodec } from '../util/ids.ts';

/** The services a route needs; built once per process by src/runtime.ts. */
export interface ApiContext {
  config: Config;
  pool: Pool;
  log: Logger;
  ids: IdCodec;
  store: ObjectStore;
  metrics: Registry;
  /** Flips to false when the process starts shutting down, so load balancers drain it. */
  ready: { value: boolean };
}
