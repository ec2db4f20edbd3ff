import { Type, type Static } from '@sinclair/typebox';

/**
 * The whole configuration, validated at start. Every key has a default that gives the
 * embedded setup (embedded PostgreSQL, file object store, local runner) so that a fresh
 * clone runs with no configuration at all.
 */
export const ConfigSchema = Type.Object(
  {
    home: Type.String({ minLength: 1, description: 'Data directory for the embedded defaults' }),
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    adminKey: Type.Optional(Type.String({ minLength: 16, description: 'Bootstrap admin API key' })),
    databaseUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
    /** Mixed into encoded ids; set the same value on every replica. */
    idSecret: Type.Optional(Type.String({ minLength: 8 })),
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    ),
    objectStore: Type.Object(
      {
        backend: Type.Union([Type.Literal('file'), Type.Literal('s3')]),
        path: Type.Optional(Type.String({ minLength: 1 })),
        s3: Type.Optional(
          Type.Object(
            {
              bucket: Type.String({ minLength: 3 }),
              endpoint: Type.Optional(Type.String({ pattern: '^https?://' })),
              region: Type.String({ minLength: 1 }),
              accessKeyId: Type.Optional(Type.String()),
              secretAccessKey: Type.Optional(Type.String()),
              forcePathStyle: Type.Boolean(),
              prefix: Type.String(),
            },
            { additionalProperties: false },
          ),
        ),
        cache: Type.Object(
          {
            path: Type.Optional(Type.String({ minLength: 1 })),
            maxBytes: Type.Integer({ minimum: 0 }),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    uploads: Type.Object(
      {
        /** URL uploads to loopback, private and link-local addresses; off unless an admin allows them. */
        allowPrivateUrls: Type.Boolean(),
        /** Largest file a URL upload or a tus session may bring in. */
        maxBytes: Type.Integer({ minimum: 1 }),
        urlIdleTimeoutSeconds: Type.Number({ exclusiveMinimum: 0 }),
        urlTotalTimeoutSeconds: Type.Number({ exclusiveMinimum: 0 }),
      },
      { additionalProperties: false },
    ),
    jobs: Type.Object(
      {
        /** The URL executors use to reach the API (job spec and report); defaults to host:port. */
        serverUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
        /** Local scratch root for job working directories on this node. */
        scratchPath: Type.Optional(Type.String({ minLength: 1 })),
        /** Node-local cache of staged inputs and tool bundles, by content id. */
        nodeCachePath: Type.Optional(Type.String({ minLength: 1 })),
        nodeCacheMaxBytes: Type.Integer({ minimum: 0 }),
        /**
         * How long after a job ends the objects of its other attempts are deleted: a superseded
         * executor may still be uploading until its next heartbeat is refused.
         */
        supersededSweepDelaySeconds: Type.Number({ minimum: 0 }),
        destinations: Type.Array(
          Type.Object(
            {
              id: Type.String({ pattern: '^[a-z0-9_-]+$' }),
              runner: Type.String({ minLength: 1 }),
              params: Type.Record(Type.String(), Type.Unknown()),
            },
            { additionalProperties: false },
          ),
          { minItems: 1 },
        ),
        /** First match wins; a job no rule matches goes to defaultDestination. */
        rules: Type.Array(
          Type.Object(
            {
              tool: Type.Optional(Type.String({ description: 'tool id, or a glob with *' })),
              minCores: Type.Optional(Type.Number({ minimum: 0 })),
              minMemoryMb: Type.Optional(Type.Integer({ minimum: 0 })),
              destination: Type.String(),
            },
            { additionalProperties: false },
          ),
        ),
        defaultDestination: Type.String(),
      },
      { additionalProperties: false },
    ),
    /** Tool containers (src/containers): registries, host overrides, cache TTLs. Optional for hand-built configs. */
    containers: Type.Optional(
      Type.Object(
        {
          enabled: Type.Boolean(),
          /** Where requirement-based images are looked for, in order. */
          registries: Type.Array(
            Type.Object({ host: Type.String({ minLength: 1 }), namespace: Type.String() }, { additionalProperties: false }),
            { minItems: 1 },
          ),
          /** Registry host → host to use instead (a mirror), for discovery and the final image reference. */
          hostOverrides: Type.Record(Type.String(), Type.String({ minLength: 1 })),
          /** Hosts spoken to over plain http (loopback hosts always are). */
          insecureHosts: Type.Array(Type.String({ minLength: 1 })),
          /** Credentials by registry host. */
          credentials: Type.Record(
            Type.String(),
            Type.Object({ username: Type.String(), password: Type.String() }, { additionalProperties: false }),
          ),
          positiveTtlSeconds: Type.Number({ exclusiveMinimum: 0 }),
          negativeTtlSeconds: Type.Number({ exclusiveMinimum: 0 }),
          requestTimeoutSeconds: Type.Number({ exclusiveMinimum: 0 }),
        },
        { additionalProperties: false },
      ),
    ),
    tasks: Type.Object(
      {
        leaseSeconds: Type.Number({ exclusiveMinimum: 0 }),
        heartbeatSeconds: Type.Number({ exclusiveMinimum: 0 }),
        pollMilliseconds: Type.Integer({ minimum: 10 }),
        concurrency: Type.Integer({ minimum: 1, maximum: 1024 }),
        shutdownSeconds: Type.Number({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
