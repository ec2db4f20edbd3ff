import { defineConfig } from 'vitest/config';

/**
 * Two groups, run one after the other in a single `vitest run` (one summary line):
 * - unit: in-process tests against real PostgreSQL, S3 and tools, two files at a time;
 * - system: tests that start whole Nebula processes, registries or Slurm and SIGKILL them. They
 *   run one file at a time, so that on two cores their timing is not at the mercy of the others.
 */
const SYSTEM_TESTS = [
  'test/**/*crash*.test.ts',
  'test/**/*failover*.test.ts',
  'test/**/*e2e*.test.ts',
  'test/bioblend/**/*.test.ts',
  'test/containers/registries.test.ts',
  'test/jobs/runner-slurm*.test.ts',
];

const shared = {
  globalSetup: ['test/helpers/global-setup.ts'],
  testTimeout: 30_000,
  hookTimeout: 60_000,
};

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          ...shared,
          name: 'unit',
          include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...SYSTEM_TESTS],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: 'system',
          include: SYSTEM_TESTS,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
