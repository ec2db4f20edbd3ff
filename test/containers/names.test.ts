import { describe, expect, it } from 'vitest';
import { mulledV2Name, packageTargets, parseImageReference, pickTag, wantedFromRequirements } from '../../src/containers/names.ts';
import type { Requirement } from '../../src/tools/model.ts';

const pkg = (name: string, version?: string): Requirement => ({ type: 'package', name, ...(version ? { version } : {}) });
const mulled = (...reqs: Requirement[]) => {
  const { repository, versionHash } = mulledV2Name(packageTargets(reqs));
  return versionHash ? `${repository}:${versionHash}` : repository;
};

describe('mulled-v2 names match published BioContainers images', () => {
  it("Galaxy's own examples (galaxy.tool_util.deps.mulled.util v2_image_name docstring)", () => {
    expect(mulled(pkg('samtools', '1.3.1'), pkg('bwa', '0.7.13'))).toBe('mulled-v2-fe8faa35dbf6dc65a0f7f5d4ea12e31a79f73e40:4d0535c94ef45be8459f429561f0894c3fe0ebcf');
    expect(mulled(pkg('samtools', '1.3.1'), pkg('bwa'))).toBe('mulled-v2-fe8faa35dbf6dc65a0f7f5d4ea12e31a79f73e40:b0c847e4fb89c343b04036e33b2daa19c4152cf5');
    expect(mulled(pkg('samtools'), pkg('bwa'))).toBe('mulled-v2-fe8faa35dbf6dc65a0f7f5d4ea12e31a79f73e40');
  });

  it('nf-core bwa/mem: bioconda::bwa=0.7.17 bioconda::samtools=1.16.1 → quay.io/biocontainers/mulled-v2-fe8f…:219b6c…-0', () => {
    expect(mulled(pkg('bwa', '0.7.17'), pkg('samtools', '1.16.1'))).toBe('mulled-v2-fe8faa35dbf6dc65a0f7f5d4ea12e31a79f73e40:219b6c272b25e7e642ae3ff0bf0c5c81a5135ab4');
  });

  it('three packages, given unsorted: bowtie2=2.4.2 samtools=1.11 pigz=2.3.4 → mulled-v2-ac74a7…:577a697b…-0', () => {
    expect(mulled(pkg('bowtie2', '2.4.2'), pkg('samtools', '1.11'), pkg('pigz', '2.3.4'))).toBe(
      'mulled-v2-ac74a7f02cebcfcc07d8e8d1d750af9c83b4d45a:577a697be67b5ae9b16f637fd723b8263a3898b3',
    );
  });

  it('package names are lower-cased like conda and quay names; non-package requirements are ignored', () => {
    expect(wantedFromRequirements([pkg('SAMtools', '1.9'), { type: 'binary', name: 'cat' }])).toEqual({ repository: 'samtools', tagPrefix: '1.9--', describe: 'samtools=1.9' });
    expect(wantedFromRequirements([{ type: 'binary', name: 'cat' }])).toBeNull();
  });
});

describe('bad requirements', () => {
  it('names the requirement whose name or version cannot be part of an image reference', () => {
    expect(() => packageTargets([pkg('sam tools', '1.9')])).toThrow(/requirement "sam tools" version "1.9": the name has characters not allowed/);
    expect(() => packageTargets([pkg('samtools', '1.9/../x')])).toThrow(/requirement "samtools" version "1.9\/..\/x": the version has characters not allowed/);
    expect(() => packageTargets([pkg('r-base$', '4')])).toThrow(/"r-base\$"/);
  });
});

describe('tag selection', () => {
  it('picks the highest build number among the tags of the version', () => {
    const tags = ['1.9--h10a08f8_3', '1.9--h10a08f8_12', '1.9--h8571acd_11', '1.10--h2e538c0_3', '1.9--0', 'latest'];
    expect(pickTag(tags, '1.9--')).toBe('1.9--h10a08f8_12');
    expect(pickTag(tags, '1.11--')).toBeNull();
  });
  it('without a version: the newest version first, then the highest build', () => {
    expect(pickTag(['1.9--h_12', '1.10--h_1', '1.10--h_3', '1.2--0'], '')).toBe('1.10--h_3');
  });
  it('mulled tags: <version hash>-<build>', () => {
    expect(pickTag(['abc-0', 'abc-2', 'abc-10', 'abd-99'], 'abc-')).toBe('abc-10');
  });
});

describe('image references', () => {
  it('parses host, repository, tag and digest like docker', () => {
    expect(parseImageReference('quay.io/biocontainers/samtools:1.9--h10a08f8_12')).toEqual({ host: 'quay.io', repository: 'biocontainers/samtools', tag: '1.9--h10a08f8_12', digest: undefined });
    expect(parseImageReference('busybox')).toMatchObject({ host: 'docker.io', repository: 'library/busybox' });
    expect(parseImageReference('127.0.0.1:5000/acme/x@sha256:' + 'a'.repeat(64))).toMatchObject({ host: '127.0.0.1:5000', repository: 'acme/x', digest: 'sha256:' + 'a'.repeat(64) });
  });
  it('refuses what a registry cannot hold, naming the image', () => {
    expect(() => parseImageReference('quay.io/Bad Name:1')).toThrow(/container image "quay.io\/Bad Name:1"/);
    expect(() => parseImageReference('x@sha256:123')).toThrow(/digest/);
  });
});
