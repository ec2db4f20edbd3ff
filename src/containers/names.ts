/**
 * Image names from tool requirements, following Galaxy's BioContainers naming
 * (galaxy.tool_util.deps.mulled, "v2" names), and parsing of image references.
 *
 * One package:      NAME:VERSION--BUILD            (the build is found in the registry's tags)
 * Several packages: mulled-v2-<sha1 of the sorted names>:<sha1 of their versions>-BUILD
 */
import { createHash } from 'node:crypto';
import type { Requirement } from '../tools/model.ts';

export class ContainerNameError extends Error {
  override name = 'ContainerNameError';
}

/** Repository path component (OCI distribution spec). */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** A tag (OCI distribution spec); versions become part of a tag, so they must fit it too. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export interface PackageTarget {
  /** Lower-cased, as conda package and quay repository names are. */
  name: string;
  version?: string;
}

/** What to look up in a registry namespace: a repository and the tag (or tag prefix) wanted. */
export interface WantedImage {
  repository: string;
  /** Tags must start with this; the highest build among them wins. Empty: any tag. */
  tagPrefix: string;
  /** The requirements this came from, for error messages. */
  describe: string;
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/** Package requirements → targets, refusing names and versions a registry cannot hold. */
export function packageTargets(requirements: Requirement[]): PackageTarget[] {
  return requirements
    .filter((r) => r.type === 'package')
    .map((r) => {
      const name = r.name.trim().toLowerCase();
      const label = `requirement "${r.name}"${r.version ? ` version "${r.version}"` : ''}`;
      if (!COMPONENT.test(name)) {
        throw new ContainerNameError(`${label}: the name has characters not allowed in an image repository name (allowed: a-z 0-9 and single . _ - between them)`);
      }
      const version = r.version?.trim() || undefined;
      if (version !== undefined && !TAG.test(version)) {
        throw new ContainerNameError(`${label}: the version has characters not allowed in an image tag (allowed: A-Z a-z 0-9 _ . -)`);
      }
      return { name, version };
    });
}

/**
 * Galaxy's mulled v2 name for several packages: the repository hashes the sorted package names,
 * the tag the versions in the same order ("null" for a missing one), when any version is given.
 */
export function mulledV2Name(targets: PackageTarget[]): { repository: string; versionHash: string } {
  const sorted = [...targets].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const repository = `mulled-v2-${sha1(sorted.map((t) => t.name).join('\n'))}`;
  const versionHash = sorted.some((t) => t.version) ? sha1(sorted.map((t) => t.version ?? 'null').join('\n')) : '';
  return { repository, versionHash };
}

/** Requirements → the repository and tag prefix to look for; null when there are no packages. */
export function wantedFromRequirements(requirements: Requirement[]): WantedImage | null {
  const targets = packageTargets(requirements);
  if (targets.length === 0) return null;
  const describe = targets.map((t) => (t.version ? `${t.name}=${t.version}` : t.name)).join(' ');
  if (targets.length === 1) {
    const [only] = targets as [PackageTarget];
    return { repository: only.name, tagPrefix: only.version ? `${only.version}--` : '', describe };
  }
  const { repository, versionHash } = mulledV2Name(targets);
  return { repository, tagPrefix: versionHash ? `${versionHash}-` : '', describe };
}

/** The build number of a tag: its trailing digits (h10a08f8_12 → 12), -1 when it has none. */
export function buildNumber(tag: string): number {
  const m = /(\d+)$/.exec(tag);
  return m ? Number(m[1]) : -1;
}

/** Loose version ordering (numbers numerically, the rest as text), newest first. */
function compareLoose(a: string, b: string): number {
  const pa = a.split(/[^A-Za-z0-9]+|(?<=\d)(?=\D)|(?<=\D)(?=\d)/);
  const pb = b.split(/[^A-Za-z0-9]+|(?<=\d)(?=\D)|(?<=\D)(?=\d)/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x === y) continue;
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) return nx - ny;
    return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Picks the tag to use among a repository's tags: those starting with the prefix; with a prefix
 * (a known version) the highest build number wins, ties broken by the build string; without one
 * the newest version, then the highest build (Galaxy's version_sorted order).
 */
export function pickTag(tags: string[], tagPrefix: string): string | null {
  const candidates = tags.filter((t) => t !== 'latest' && t.startsWith(tagPrefix));
  if (candidates.length === 0) return null;
  const split = (t: string) => {
    const rest = t.slice(tagPrefix.length);
    const cut = tagPrefix ? -1 : rest.lastIndexOf('--');
    return cut >= 0 ? { version: rest.slice(0, cut), build: rest.slice(cut + 2) } : { version: '', build: rest };
  };
  const sorted = candidates.sort((a, b) => {
    const sa = split(a);
    const sb = split(b);
    return compareLoose(sb.version, sa.version) || buildNumber(sb.build) - buildNumber(sa.build) || compareLoose(sb.build, sa.build);
  });
  return sorted[0]!;
}

export interface ImageReference {
  /** Registry host (with port), e.g. quay.io, 127.0.0.1:5000, docker.io. */
  host: string;
  /** Repository path inside the registry, e.g. biocontainers/samtools. */
  repository: string;
  tag?: string;
  digest?: string;
}

/** Parses `[host[:port]/]path[:tag][@sha256:...]` the way docker does (docker.io/library default). */
export function parseImageReference(text: string): ImageReference {
  const raw = text.trim();
  const bad = (why: string) => new ContainerNameError(`container image "${text.slice(0, 300)}": ${why}`);
  if (!raw) throw bad('empty image name');
  let rest = raw;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad('the digest must be sha256: followed by 64 hex digits');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`tag "${tag}" has characters not allowed in a tag`);
  }
  const parts = rest.split('/');
  let host = 'docker.io';
  const first = parts[0]!;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    host = first;
    parts.shift();
    if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(host)) throw bad(`registry host "${host}" is not a host name`);
  }
  if (host === 'docker.io' && parts.length === 1) parts.unshift('library');
  for (const p of parts) if (!COMPONENT.test(p)) throw bad(`"${p}" is not allowed in a repository name (a-z 0-9 and single . _ - between them)`);
  return { host, repository: parts.join('/'), tag, digest };
}

export function formatReference(ref: ImageReference): string {
  return `${ref.host}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
