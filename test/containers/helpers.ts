import type { FetchLike } from '../../src/containers/registry-client.ts';
import type { ToolSource } from '../../src/tools/model.ts';

/** A fetch that records every request (method + url) before passing it on. */
export function recordingFetch(): { fetch: FetchLike; requests: Array<{ method: string; url: string }>; reset(): void } {
  const requests: Array<{ method: string; url: string }> = [];
  return {
    requests,
    reset: () => void requests.splice(0),
    fetch: (url, init) => {
      requests.push({ method: init?.method ?? 'GET', url });
      return fetch(url, init);
    },
  };
}

/** The parts of a ToolSource resolution reads. */
export function toolWith(id: string, parts: Partial<Pick<ToolSource, 'requirements' | 'containers'>>): ToolSource {
  return { id, requirements: [], containers: [], ...parts } as unknown as ToolSource;
}
