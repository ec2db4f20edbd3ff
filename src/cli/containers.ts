/**
 * `nebula containers ...`:
 *   nebula containers warm [--engine podman|docker] [--api URL --key KEY]
 *       pulls the images that new and queued jobs need into the local engine (from the database,
 *       or from GET /api/containers/needed of a server when --api is given)
 *   nebula containers resolve [--requirement NAME=VERSION]... [--container IMAGE]
 *       prints the pinned reference a tool with these requirements would run (no cache)
 */
import { Command, Option } from 'commander';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

async function neededFromApi(api: string, key: string | undefined): Promise<string[]> {
  const url = new URL('/api/containers/needed', api);
  const response = await fetch(url, { headers: key ? { 'x-api-key': key } : {} });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${(await response.text()).slice(0, 200)}`);
  const rows = (await response.json()) as Array<{ image: string }>;
  return rows.map((r) => r.image);
}

export function containerCommands(config: () => Config = () => loadConfig(process.env)): Command {
  const containers = new Command('containers').description('tool container images: resolve, warm this node');

  containers
    .command('warm')
    .description('pull the images that new and queued jobs need into the local container engine')
    .addOption(new Option('--engine <engine>', 'container engine').choices(['podman', 'docker']).default('podman'))
    .option('--api <url>', 'ask this Nebula server (GET /api/containers/needed) instead of the database')
    .option('--key <key>', 'admin API key for --api (or NEBULA_API_KEY)')
    .action(async (o: { engine: 'podman' | 'docker'; api?: string; key?: string }) => {
      const { containerSettings, pullImages, neededImages } = await import('../containers/index.ts');
      const cfg = config();
      let images: string[];
      if (o.api) {
        images = await neededFromApi(o.api, o.key ?? process.env.NEBULA_API_KEY);
      } else {
        const { openDatabase, resolveDatabaseUrl } = await import('../runtime/database.ts');
        const { createLogger } = await import('../util/log.ts');
        const log = createLogger('warn');
        const pool = await openDatabase(await resolveDatabaseUrl(cfg, log), 2, log, false);
        try {
          images = (await neededImages(pool)).map((n) => n.image);
        } finally {
          await pool.end();
        }
      }
      if (images.length === 0) process.stdout.write('no images needed\n');
      const results = await pullImages(images, o.engine, containerSettings(cfg));
      for (const r of results) process.stdout.write(`${r.ok ? 'pulled' : 'FAILED'} ${r.image}${r.ok ? '' : `: ${r.message}`}\n`);
      if (results.some((r) => !r.ok)) process.exit(1);
    });

  containers
    .command('resolve')
    .description('print the pinned image for package requirements or an explicit container (asks the registries, no cache)')
    .option('--requirement <name=version>', 'a package requirement (repeatable)', collect, [] as string[])
    .option('--container <image>', 'an explicit docker container, as in <container type="docker">')
    .action(async (o: { requirement: string[]; container?: string }) => {
      const { containerSettings, newDeps, resolveToolContainer } = await import('../containers/index.ts');
      const requirements = o.requirement.map((r) => {
        const [name, version] = r.split('=', 2);
        return { type: 'package', name: name ?? '', ...(version ? { version } : {}) };
      });
      const tool = { id: 'cli', requirements, containers: o.container ? [{ type: 'docker', identifier: o.container }] : [] };
      const resolved = await resolveToolContainer(tool as never, newDeps(containerSettings(config())));
      process.stdout.write(resolved ? `${resolved.pinned}\t${resolved.image}\n` : 'no container (no explicit container and no package requirements)\n');
    });

  return containers;
}
