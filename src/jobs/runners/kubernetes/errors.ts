/**
 * The runner's errors, and the translation of what @kubernetes/client-node throws into errors a
 * worker can act on: an API server that cannot be reached (or answers 429/5xx) is retryable and
 * named; a refusal (401, 403, 422...) is not; 404 and 409 keep their status for the caller
 * (gone, idempotent delete, adoption).
 */
import { ApiException } from '@kubernetes/client-node';

export class KubernetesUnavailableError extends Error {
  readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = 'KubernetesUnavailableError';
  }
}

export class KubernetesApiError extends Error {
  readonly retryable = false;
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'KubernetesApiError';
  }
}

/**
 * Credentials could not be obtained before the request was sent (an exec plugin failed, a
 * certificate file is missing). Not retryable here; the task engine still tries the task again.
 */
export class KubernetesCredentialsError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'KubernetesCredentialsError';
  }
}

/** The HTTP status of a Kubernetes API answer, for the 404/409 the runner handles itself. */
export function httpStatus(error: unknown): number | undefined {
  return error instanceof KubernetesApiError ? error.status : undefined;
}

/** Where a failure happened: the server (for messages) and the operation ("create Job x"). */
export interface CallSite {
  server: string;
  what: string;
  timeoutSeconds: number;
}

/** Any failure of a client-node call → one of the errors above. */
export function translateError(error: unknown, at: CallSite): Error {
  if (error instanceof ApiException) {
    // 401 is the one status client-node reports without the server's body.
    const fallback = error.code === 401 ? 'Unauthorized (check the kubeconfig credentials)' : 'no message';
    return fromStatus(error.code, statusMessage(error.body) || fallback, at);
  }
  const e = error as { name?: string; code?: string; message?: string };
  // node-fetch: AbortError when our timeout signal fired, FetchError for connection failures.
  if (e?.name === 'AbortError') {
    return new KubernetesUnavailableError(
      `Kubernetes API server ${at.server} did not answer ${at.what} within ${at.timeoutSeconds} s`,
    );
  }
  if (e?.name === 'FetchError') {
    return new KubernetesUnavailableError(
      `Kubernetes API server ${at.server} unreachable (${at.what}): ${[e.code, e.message].filter(Boolean).join(' ')}`,
    );
  }
  const message = e?.message?.trim() || String(error);
  return new KubernetesCredentialsError(`credentials for Kubernetes API server ${at.server} (${at.what}): ${message}`);
}

function fromStatus(status: number, message: string, at: CallSite): Error {
  if (status === 429 || status >= 500) {
    return new KubernetesUnavailableError(`Kubernetes API server ${at.server} answered ${status} to ${at.what}: ${message}`);
  }
  return new KubernetesApiError(`Kubernetes refused ${at.what} (${status}): ${message}`, status);
}

/** client-node 1.x puts the unparsed response text in ApiException.body for undeclared statuses. */
function statusMessage(body: unknown): string {
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed?.message === 'string') return parsed.message;
    } catch {
      // not a Status object: show the text itself
    }
    return body.slice(0, 200);
  }
  const message = (body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : '';
}
