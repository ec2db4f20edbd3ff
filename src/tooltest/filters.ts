/**
 * Which outputs a job creates: those whose `<filter>`s all hold. Filters are Python expressions
 * over the tool state, as in Galaxy, evaluated with the Cheetah engine's expression evaluator.
 * (Job creation on the server does not apply filters yet; tool tests do, before the job runs.)
 */
import { compileTemplate } from '../tools/cheetah/index.ts';
import type { ToolSource } from '../tools/model.ts';
import type { ToolState } from '../tools/parameters/values.ts';

/**
 * Outputs whose filters all hold. A filter that cannot be evaluated keeps its output (Galaxy logs
 * the error and keeps it too); the problem is returned for the report.
 */
export async function includedOutputs(tool: ToolSource, state: ToolState): Promise<{ included: Set<string>; problems: string[] }> {
  const included = new Set<string>();
  const problems: string[] = [];
  for (const out of tool.outputs) {
    let keep = true;
    for (const [i, filter] of out.filters.entries()) {
      try {
        // Galaxy evaluates filters with the state as Python locals, so bare names resolve.
        const template = compileTemplate(`#if ${filter.trim()}\nyes\n#end if\n`, {
          toolId: tool.id,
          file: out.file,
          firstLine: out.line,
          lenientBareNames: true,
        });
        keep = template.render({ ...state }).trim() === 'yes';
      } catch (err) {
        problems.push(`output ${out.name}: filter ${i + 1} (${filter.trim()}) could not be evaluated: ${(err as Error).message}`);
        keep = true;
      }
      if (!keep) break;
    }
    if (keep) included.add(out.name);
  }
  return { included, problems };
}
