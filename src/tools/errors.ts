/** Errors raised while loading a tool wrapper or building a job from it. */

/** Where in which file something went wrong; `line` is 1-based. */
export interface SourceLocation {
  file: string;
  line?: number;
}

function formatLocation(loc: SourceLocation): string {
  return loc.line ? `${loc.file}:${loc.line}` : loc.file;
}

/** The tool XML (or a macro file it imports) cannot be turned into a ToolSource. */
export class ToolLoadError extends Error {
  override name = 'ToolLoadError';
  constructor(
    public readonly detail: string,
    public readonly location: SourceLocation,
    public readonly toolId?: string,
  ) {
    super(`${toolId ? `tool ${toolId}: ` : ''}${formatLocation(location)}: ${detail}`);
  }
}

/** A value given for a tool parameter is not acceptable; `path` is Galaxy's `cond|param` form. */
export class ToolParameterError extends Error {
  override name = 'ToolParameterError';
  constructor(
    public readonly path: string,
    public readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

/** Rendering the command or a config file failed (Cheetah error, missing variable...). */
export class ToolTemplateError extends Error {
  override name = 'ToolTemplateError';
  constructor(
    message: string,
    public readonly toolId: string,
    public readonly file: string,
    public readonly line?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
