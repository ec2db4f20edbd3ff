/** Galaxy compares tool profiles as versions ("20.09" ≥ "16.04"). */
export function profileAtLeast(profile: string, wanted: string): boolean {
  const a = profile.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const b = wanted.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}
