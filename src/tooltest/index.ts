/** Tool tests (`nebula tool test`) and the local execution path they run through. */
export { runAssertions, SUPPORTED_ASSERTIONS } from './asserts.ts';
export { compareOutput } from './compare.ts';
export {
  collectOutputs, createScratch, discoverFiles, missingBinary, planOutputs, removeScratch, runJobCommand,
  type CollectedCollection, type CollectedDataset, type CollectedOutputs, type RunResult, type RunSpec, type Scratch,
} from './execute.ts';
export { includedOutputs, outputFormats } from './outputs.ts';
export {
  findToolFiles, formatResult, formatSummary, runToolTest, runToolTests,
  type TestResult, type TestStatus, type ToolTestOptions, type ToolTestReport,
} from './runner.ts';
