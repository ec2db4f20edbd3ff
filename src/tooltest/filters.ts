/**
 * Which outputs a test's job creates: the server's own rule (src/tools/outputs/filters.ts), so a
 * tool test and a job created through the API keep the same outputs for the same state.
 */
import { isSubtypeOf } from '../datatypes/index.ts';
import type { ToolSource } from '../tools/model.ts';
import { evaluateOutputFilters } from '../tools/outputs/filters.ts';
import type { ToolState } from '../tools/parameters/values.ts';

/**
 * Outputs whose filters all hold. A filter that cannot be evaluated keeps its output (Galaxy logs
 * the error and keeps it too); the problem is returned for the report.
 */
export async function includedOutputs(tool: ToolSource, state: ToolState): Promise<{ included: Set<string>; problems: string[] }> {
  return evaluateOutputFilters(tool, state, { isSubtypeOf });
}
