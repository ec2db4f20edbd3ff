/**
 * A test whose command is not installed is MISSING, not failed: bash exits 127 and says
 * `bash: line 1: samtools: command not found`.
 */
export function missingBinary(result: { exitCode: number | null; stderr: string }): string | undefined {
  if (result.exitCode !== 127) return undefined;
  const m = /(?:^|\n)(?:bash: )?(?:line \d+: )?([^\s:]+): command not found/.exec(result.stderr);
  return m?.[1];
}
