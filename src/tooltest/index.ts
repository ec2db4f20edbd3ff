/** Tool tests (`nebula tool test`): each test runs as a job through the job executor, then is compared. */
export { runAssertions, SUPPORTED_ASSERTIONS } from './asserts.ts';
export { compareOutput } from './compare.ts';
export { LocalExecution } from './local-execution.ts';
export { missingBinary } from './missing-binary.ts';
export { outputsFromReport, type CollectedCollection, type CollectedDataset, type CollectedOutputs } from './reported-outputs.ts';
export {
  findToolFiles, formatResult, formatSummary, runToolTest, runToolTests,
  type TestResult, type TestStatus, type ToolTestOptions, type ToolTestReport,
} from './runner.ts';
export { buildTestJobSpec } from './test-job.ts';
