/**
 * Which cache files exist and how big they are, least recently used first. A Map keeps
 * insertion order, so "touch" is delete-then-set and the oldest entry is the first one.
 * Bytes being filled are reserved up front so that concurrent fills also respect the bound.
 */
export class LruIndex {
  private readonly entries = new Map<string, number>();
  private storedBytes = 0;
  private reservedBytes = 0;

  constructor(readonly maxBytes: number) {}

  get totalBytes(): number {
    return this.storedBytes + this.reservedBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  has(file: string): boolean {
    return this.entries.has(file);
  }

  /** Marks an entry as just used; returns false if it is not indexed. */
  touch(file: string): boolean {
    const size = this.entries.get(file);
    if (size === undefined) return false;
    this.entries.delete(file);
    this.entries.set(file, size);
    return true;
  }

  add(file: string, size: number): void {
    this.remove(file);
    this.entries.set(file, size);
    this.storedBytes += size;
  }

  remove(file: string): void {
    const size = this.entries.get(file);
    if (size === undefined) return;
    this.entries.delete(file);
    this.storedBytes -= size;
  }

  reserve(bytes: number): void {
    this.reservedBytes += bytes;
  }

  release(bytes: number): void {
    this.reservedBytes = Math.max(0, this.reservedBytes - bytes);
  }

  /** Takes the oldest entries out of the index until everything fits; returns them to delete. */
  takeEvictions(): string[] {
    const evicted: string[] = [];
    for (const [file, size] of this.entries) {
      if (this.totalBytes <= this.maxBytes) break;
      this.entries.delete(file);
      this.storedBytes -= size;
      evicted.push(file);
    }
    return evicted;
  }
}
