/**
 * The executor's only line to the server: GET the spec, POST heartbeats and the report, each with
 * the job-scoped token. A 409 means this attempt was superseded (retried elsewhere, cancelled):
 * the executor must stop and write nothing more.
 */
import type { JobReport, JobSpec } from '../interfaces.ts';

export class AttemptSupersededError extends Error {
  override name = 'AttemptSupersededError';
}

export class JobServerError extends Error {
  override name = 'JobServerError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface JobServerClient {
  getSpec(): Promise<JobSpec>;
  heartbeat(): Promise<void>;
  postReport(report: JobReport): Promise<void>;
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

export function createJobServerClient(options: {
  serverUrl: string;
  jobId: string;
  attempt: number;
  token: string;
  /** Total time a call keeps retrying network errors and 5xx answers. */
  retryForMs?: number;
}): JobServerClient {
  const base = `${options.serverUrl}/api/jobs/${encodeURIComponent(options.jobId)}`;
  const retryForMs = options.retryForMs ?? 120_000;

  const call = async (method: 'GET' | 'POST', url: string, body?: unknown, retry = true): Promise<Response> => {
    const deadline = Date.now() + retryForMs;
    let delay = 250;
    for (;;) {
      let response: Response | undefined;
      let failure: string;
      try {
        response = await fetch(url, {
          method,
          headers: {
            'x-nebula-job-token': options.token,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
        if (response.status === 409) {
          throw new AttemptSupersededError(`attempt ${options.attempt} of job ${options.jobId} is no longer current (${await response.text()})`);
        }
        if (response.ok) return response;
        failure = `${method} ${url} answered ${response.status}: ${(await response.text()).slice(0, 500)}`;
        if (!RETRYABLE_STATUS.has(response.status)) throw new JobServerError(failure, response.status);
      } catch (error) {
        if (error instanceof AttemptSupersededError || error instanceof JobServerError) throw error;
        failure = `${method} ${url} failed: ${(error as Error).message}`;
      }
      if (!retry || Date.now() + delay > deadline) throw new JobServerError(failure, response?.status);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  };

  return {
    async getSpec() {
      const response = await call('GET', `${base}/spec?attempt=${options.attempt}`);
      const spec = (await response.json()) as JobSpec;
      if (spec.attempt !== options.attempt) {
        throw new AttemptSupersededError(`the server sent the spec of attempt ${spec.attempt}, this executor runs attempt ${options.attempt}`);
      }
      return spec;
    },
    async heartbeat() {
      // One try: the next beat comes soon, and a late beat is worthless.
      await call('POST', `${base}/heartbeat?attempt=${options.attempt}`, undefined, false);
    },
    async postReport(report) {
      await call('POST', `${base}/report`, report);
    },
  };
}
