/**
 * Listings of a runner's jobs, shared by every status call of this worker process.
 *
 * Each running job has its own job.monitor task polling every few seconds, and a worker runs many
 * of them at once: asking the scheduler about each job separately costs a process or an API call
 * per job per poll. A listing answers for all of them for `maxAgeMs`; calls that arrive while one
 * is fresh or in flight share it, and a failed one is dropped at once rather than served to the
 * next callers. A job missing from a listing is for the caller to ask about by itself.
 */
interface Entry<V> {
  takenAt: number;
  items: Promise<Map<string, V>>;
}

export class SharedListings<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(readonly maxAgeMs: number) {}

  /** The listing under `key` at most maxAgeMs old, made with `list` when there is none. */
  get(key: string, list: () => Promise<Map<string, V>>): Promise<Map<string, V>> {
    const current = this.entries.get(key);
    if (current && Date.now() - current.takenAt <= this.maxAgeMs) return current.items;
    const fresh: Entry<V> = { takenAt: Date.now(), items: list() };
    this.entries.set(key, fresh);
    fresh.items.catch(() => this.entries.get(key) === fresh && this.entries.delete(key));
    return fresh.items;
  }
}
