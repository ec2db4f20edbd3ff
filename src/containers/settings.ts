/**
 * The `containers` configuration section, with its defaults, and the registry endpoint a host
 * maps to once host overrides apply.
 */
import type { Config } from '../config/schema.ts';
import type { RegistryCredentials, RegistryEndpoint } from './registry-client.ts';

export interface ContainerSettings {
  enabled: boolean;
  /** Where requirement-based images are looked for, in order: host + namespace. */
  registries: Array<{ host: string; namespace: string }>;
  /** Registry host → host to use instead (a mirror), for discovery and for the final reference. */
  hostOverrides: Record<string, string>;
  /** Hosts (after override) spoken to over plain http; loopback hosts always are. */
  insecureHosts: string[];
  /** Credentials by host (the host requests go to, after override). */
  credentials: Record<string, RegistryCredentials>;
  positiveTtlSeconds: number;
  negativeTtlSeconds: number;
  requestTimeoutSeconds: number;
}

export const DEFAULT_CONTAINER_SETTINGS: ContainerSettings = {
  enabled: true,
  registries: [{ host: 'quay.io', namespace: 'biocontainers' }],
  hostOverrides: {},
  insecureHosts: [],
  credentials: {},
  positiveTtlSeconds: 6 * 3600,
  negativeTtlSeconds: 60,
  requestTimeoutSeconds: 10,
};

export function containerSettings(config?: Pick<Config, 'containers'> | null): ContainerSettings {
  return { ...DEFAULT_CONTAINER_SETTINGS, ...(config?.containers ?? {}) } as ContainerSettings;
}

export function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** The host an image reference ends up naming: the override, if any. */
export function overriddenHost(settings: ContainerSettings, host: string): string {
  return settings.hostOverrides[host] ?? host;
}

export function isInsecure(settings: ContainerSettings, host: string): boolean {
  return isLoopback(host) || settings.insecureHosts.includes(host);
}

/** Where the registry API of a (possibly overridden) host lives. */
export function endpointFor(settings: ContainerSettings, originalHost: string): RegistryEndpoint {
  const host = overriddenHost(settings, originalHost);
  // Docker Hub's references say docker.io; its API answers on registry-1.docker.io.
  const apiHost = host === 'docker.io' ? 'registry-1.docker.io' : host;
  const credentials = settings.credentials[host] ?? settings.credentials[originalHost];
  return { host: apiHost, insecure: isInsecure(settings, host), ...(credentials ? { credentials } : {}) };
}
