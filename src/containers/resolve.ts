/**
 * A tool's container, resolved to a pinned reference (host/repository@sha256:...).
 *
 * Order: the tool's explicit `<container type="docker">`; otherwise its package requirements,
 * named like Galaxy's BioContainers (names.ts) and looked for in each configured registry +
 * namespace in turn. Host overrides apply to discovery and to the final reference alike.
 * A tool with neither gets null: whether it may run without a container is the destination's call.
 */
import type { ToolSource } from '../tools/model.ts';
import { formatReference, parseImageReference, pickTag, wantedFromRequirements, type ImageReference } from './names.ts';
import { RegistryClient, RegistryError } from './registry-client.ts';
import { endpointFor, overriddenHost, type ContainerSettings } from './settings.ts';

export interface ResolvedContainer {
  /** The reference by tag, after host override (what a person reads). */
  image: string;
  digest: string;
  /** host/repository@sha256:...: what the job runs. */
  pinned: string;
  source: 'explicit' | 'requirements';
  /** The registry host that answered (after override). */
  registry: string;
}

export interface ResolveDeps {
  settings: ContainerSettings;
  client: RegistryClient;
}

/** A resolution that failed; the message names the image and the registry. */
export class ContainerResolutionError extends Error {
  override name = 'ContainerResolutionError';
  constructor(
    message: string,
    /** True when it comes from the negative cache rather than a fresh lookup. */
    readonly cached = false,
  ) {
    super(message);
  }
}

/** What must be looked up for a tool: a stable key (for the cache) and the lookup itself. */
export interface ContainerRequest {
  key: string;
  describe: string;
  lookup: () => Promise<ResolvedContainer>;
  /** Already pinned by the tool (image@sha256:...): no lookup needed. */
  pinned?: ResolvedContainer;
}

export function newDeps(settings: ContainerSettings, client?: RegistryClient): ResolveDeps {
  return { settings, client: client ?? new RegistryClient({ timeoutMs: settings.requestTimeoutSeconds * 1000 }) };
}

async function pinTag(deps: ResolveDeps, ref: ImageReference & { tag: string }, source: ResolvedContainer['source']): Promise<ResolvedContainer> {
  const endpoint = endpointFor(deps.settings, ref.host);
  const host = overriddenHost(deps.settings, ref.host);
  const { digest } = await deps.client.manifestDigest(endpoint, ref.repository, ref.tag);
  return {
    image: formatReference({ host, repository: ref.repository, tag: ref.tag }),
    digest,
    pinned: formatReference({ host, repository: ref.repository, digest }),
    source,
    registry: host,
  };
}

function explicitRequest(deps: ResolveDeps, identifier: string): ContainerRequest {
  const ref = parseImageReference(identifier);
  const host = overriddenHost(deps.settings, ref.host);
  const shown = formatReference({ ...ref, host });
  if (ref.digest) {
    const pinned: ResolvedContainer = {
      image: formatReference({ host, repository: ref.repository, tag: ref.tag }),
      digest: ref.digest,
      pinned: formatReference({ host, repository: ref.repository, digest: ref.digest }),
      source: 'explicit',
      registry: host,
    };
    return { key: `explicit ${shown}`, describe: shown, lookup: async () => pinned, pinned };
  }
  const tagged = { ...ref, tag: ref.tag ?? 'latest' };
  return {
    key: `explicit ${formatReference({ ...tagged, host })}`,
    describe: formatReference({ ...tagged, host }),
    lookup: async () => {
      try {
        return await pinTag(deps, tagged, 'explicit');
      } catch (err) {
        throw asResolutionError(err);
      }
    },
  };
}

function asResolutionError(err: unknown): ContainerResolutionError {
  if (err instanceof ContainerResolutionError) return err;
  if (err instanceof RegistryError) return new ContainerResolutionError(err.message);
  return new ContainerResolutionError(`container resolution failed: ${(err as Error).message}`);
}

function requirementsRequest(deps: ResolveDeps, tool: ToolSource): ContainerRequest | null {
  const wanted = wantedFromRequirements(tool.requirements);
  if (!wanted) return null;
  const places = deps.settings.registries.map((r) => ({ ...r, host: overriddenHost(deps.settings, r.host) }));
  const where = places.map((p) => `${p.host}/${p.namespace}`).join(', ');
  return {
    key: `requirements ${wanted.repository}:${wanted.tagPrefix}* in ${where}`,
    describe: `${wanted.repository}${wanted.tagPrefix ? `:${wanted.tagPrefix}*` : ''} (requirements ${wanted.describe})`,
    lookup: async () => {
      const failures: string[] = [];
      for (const registry of deps.settings.registries) {
        const endpoint = endpointFor(deps.settings, registry.host);
        const repository = registry.namespace ? `${registry.namespace}/${wanted.repository}` : wanted.repository;
        const label = `${overriddenHost(deps.settings, registry.host)}/${repository}`;
        try {
          const tags = await deps.client.listTags(endpoint, repository);
          const tag = pickTag(tags, wanted.tagPrefix);
          if (!tag) {
            failures.push(tags.length === 0 ? `${label}: no such repository` : `${label}: no tag starts with "${wanted.tagPrefix}"`);
            continue;
          }
          return await pinTag(deps, { host: registry.host, repository, tag }, 'requirements');
        } catch (err) {
          if (!(err instanceof RegistryError)) throw err;
          failures.push(err.message);
        }
      }
      throw new ContainerResolutionError(`no container image for requirements ${wanted.describe} (${wanted.repository}): ${failures.join('; ')}`);
    },
  };
}

/** The request for a tool's container, or null when the tool names none and has no packages. */
export function containerRequest(tool: ToolSource, deps: ResolveDeps): ContainerRequest | null {
  try {
    const explicit = tool.containers.find((c) => c.type === 'docker');
    if (explicit) return explicitRequest(deps, explicit.identifier);
    return requirementsRequest(deps, tool);
  } catch (err) {
    throw new ContainerResolutionError(`tool ${tool.id}: ${(err as Error).message}`);
  }
}

/** Resolves without any cache (one upstream lookup per call). */
export async function resolveToolContainer(tool: ToolSource, deps: ResolveDeps): Promise<ResolvedContainer | null> {
  const request = containerRequest(tool, deps);
  if (!request) return null;
  return request.pinned ?? request.lookup();
}
