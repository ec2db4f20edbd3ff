/**
 * Tells the server every few seconds that this attempt is alive (jobs.heartbeat_at), so the
 * lifecycle can tell a running job from a lost one on any runner. A 409 means the attempt was
 * superseded or cancelled: `superseded` aborts, and the executor stops without reporting.
 */
import { AttemptSupersededError, type JobServerClient } from './client.ts';

export class Heartbeat {
  private timer?: NodeJS.Timeout;
  private readonly controller = new AbortController();
  lastError?: string;

  constructor(
    private readonly client: JobServerClient,
    private readonly intervalSeconds: number,
    /** Delay of the first beat. 0 (at once) when the runner cannot vouch for the start itself. */
    private readonly firstBeatSeconds = 0,
  ) {}

  /** Aborted when the server says this attempt is no longer current. */
  get superseded(): AbortSignal {
    return this.controller.signal;
  }

  start(): void {
    const beat = async () => {
      try {
        await this.client.heartbeat();
        this.lastError = undefined;
      } catch (error) {
        if (error instanceof AttemptSupersededError) {
          this.controller.abort(error);
          this.stop();
          return;
        }
        // A missed beat is not fatal; the lifecycle tolerates several.
        this.lastError = (error as Error).message;
      }
      if (this.timer) this.timer = setTimeout(beat, this.intervalSeconds * 1000);
    };
    this.timer = setTimeout(beat, this.firstBeatSeconds * 1000);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
