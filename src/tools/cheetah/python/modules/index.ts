/** The modules templates may import; anything else is refused with a clear error. */
import { pyErr } from '../../errors.ts';
import type { Runtime } from '../runtime.ts';
import type { PyModule } from '../values.ts';
import { createJsonModule } from './json.ts';
import { createOsModule, createOsPathModule } from './ospath.ts';
import { createReModule } from './re.ts';
import { createShlexModule } from './shlex.ts';

export function createModuleLoader(rt: Runtime): (name: string) => PyModule {
  const loaded = new Map<string, PyModule>();
  const factories: Record<string, () => PyModule> = {
    re: () => createReModule(rt),
    'os.path': createOsPathModule,
    os: () => createOsModule(load('os.path')),
    json: createJsonModule,
    shlex: createShlexModule,
  };
  function load(name: string): PyModule {
    let m = loaded.get(name);
    if (!m) {
      const factory = factories[name];
      if (!factory) throw pyErr.unsupported(`module '${name}' is not available in Nebula templates (available: ${Object.keys(factories).join(', ')})`);
      m = factory();
      loaded.set(name, m);
    }
    return m;
  }
  return load;
}
