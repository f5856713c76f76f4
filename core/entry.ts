/**
 * Where the running clave's library entry is, as a file URL: `index.ts` when clave runs from its
 * sources (Bun, Deno), `dist/esm/index.js` from the ESM build (whose shared chunks sit beside it) and
 * `dist/cjs/index.cjs` from the CommonJS build (one file). Worker threads import it to run what the
 * main thread runs, and plugin files that `import ... from "clave"` are pointed at it, so a plugin
 * shares the running clave's modules even when its own folder has no clave installed.
 */
export function libraryEntryUrl(): string {
  const here = import.meta.url;
  if (here.endsWith(".ts")) return new URL("../index.ts", here).href;
  if (here.endsWith(".cjs")) return here;
  return new URL("./index.js", here).href;
}
