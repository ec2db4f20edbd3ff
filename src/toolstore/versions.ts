/**
 * Tool versions are free text ("1.0", "2.3.4+galaxy1", "0.7.17.1"). Galaxy picks the highest
 * with packaging's ordering; this is a simpler total order that agrees on the common forms:
 * compare dot/plus/dash separated parts, numbers numerically, text lexically, numbers after text.
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+\-_]/);
  const pb = b.split(/[.+\-_]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x) ? Number(x) : undefined;
    const ny = /^\d+$/.test(y) ? Number(y) : undefined;
    if (nx !== undefined && ny !== undefined) {
      if (nx !== ny) return nx < ny ? -1 : 1;
    } else if (nx !== undefined) return 1;
    else if (ny !== undefined) return -1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
