/** Container images for tools: resolution, the registry client, the shared cache, warm nodes. */
export { resolveToolContainer, containerRequest, newDeps, ContainerResolutionError, type ResolvedContainer, type ResolveDeps, type ContainerRequest } from './resolve.ts';
export { resolveForJob, recordJobContainer, depsFor } from './jobs.ts';
export { cachedResolve, pruneResolutions } from './cache.ts';
export { neededImages, registerContainerMetrics, NEEDED_GAUGE, type NeededImage } from './needed.ts';
export { pullImages, pullArgv, type Engine, type PullResult } from './warm.ts';
export { RegistryClient, RegistryError, parseChallenge, nextLink, MANIFEST_ACCEPT, type FetchLike, type RegistryEndpoint } from './registry-client.ts';
export { containerSettings, DEFAULT_CONTAINER_SETTINGS, endpointFor, isInsecure, type ContainerSettings } from './settings.ts';
export { mulledV2Name, packageTargets, pickTag, parseImageReference, wantedFromRequirements, ContainerNameError } from './names.ts';
