/**
 * Build the Node/CommonJS distribution from the TypeScript sources (Bun and Deno run the sources):
 *   dist/esm/index.js   ESM entry (`import "clave"` on Node, Deno)
 *   dist/esm/cli.js     the CLI (`npx clave`); it shares its modules with index.js through chunks
 *                       beside them, so plugins that import "clave" meet the running instance
 *   dist/cjs/index.cjs  CommonJS entry (`require("clave")`, tslab notebooks)
 *   dist/types/         declarations (`types` in package.json, node10-resolvable)
 * Usage: bun scripts/build.ts
 */
import { build, type BuildOptions } from "esbuild";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const common: BuildOptions = {
  bundle: true,
  packages: "external",
  platform: "node",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
};

rmSync("dist", { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: { index: "index.ts", cli: "bin/clave.ts" }, format: "esm", splitting: true, outdir: "dist/esm" }),
  build({
    ...common,
    entryPoints: { index: "index.ts" },
    format: "cjs",
    outdir: "dist/cjs",
    outExtension: { ".js": ".cjs" },
    // CommonJS has no import.meta; give modules that ask for their URL the file's own.
    define: { "import.meta.url": "__clave_import_meta_url" },
    banner: { js: 'const __clave_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  }),
]);
writeFileSync("dist/esm/package.json", '{ "type": "module" }\n');
writeFileSync("dist/cjs/package.json", '{ "type": "commonjs" }\n');

// Declarations are emitted even where the type checker complains; the type check itself is a test
// (test/typecheck.test.ts), so a type error fails the suite without leaving Node users with no build.
const tsc = spawnSync("node", ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { encoding: "utf8" });
if (!existsSync("dist/types/index.d.ts")) {
  console.error(`build: declaration emit failed\n${tsc.stdout}${tsc.stderr}`);
  process.exit(1);
}
if (tsc.status !== 0) console.warn("build: declarations written, with type errors (run `npm run typecheck`)");

// The sources import with `.ts` extensions (Bun, Deno); older compilers (tslab's TypeScript 5.0 with
// node10 resolution) resolve declarations only through `.js` specifiers.
for (const entry of readdirSync("dist/types", { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
  const file = join(entry.parentPath, entry.name);
  writeFileSync(file, readFileSync(file, "utf8").replace(/(from\s+["']\.{1,2}\/[^"']*)\.ts(["'])/g, "$1.js$2"));
}
console.log("build: dist/esm, dist/cjs, dist/types written");
