/**
 * The compiled `.js` of a script that runs in a process or thread of its own (the spawner, the
 * sampling worker, the /dev/fuse reader), next to the module asking. Run from TypeScript
 * sources (the tests import the sources directly) the script is taken from `dist/`, which
 * `npm test` builds first: a worker or a child process cannot load `.ts`.
 *
 * @example
 * new Worker(compiledScript(import.meta.url, "host", "proc_sampler_worker"));
 */
export function compiledScript(moduleUrl: string, folder: string, name: string): URL {
  const here = new URL(moduleUrl);
  return here.pathname.endsWith(".ts") ? new URL(`../dist/${folder}/${name}.js`, here) : new URL(`./${name}.js`, here);
}
