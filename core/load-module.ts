/**
 * Loading a user's module (a plugin file, `clave.config.ts`) on every runtime, the way Vite loads its
 * config: the file is bundled with esbuild (TypeScript stripped, its relative imports inlined), its
 * `import ... from "clave"` is pointed at the running clave (see entry.ts), other packages are
 * resolved from the importing file's folder, and the result is imported once from a temporary file
 * that is removed right after. So `~/mine/crest.ts` loads under Node 20, which cannot import
 * TypeScript, and from a folder where clave is not installed. Modules inside `node_modules` (published
 * plugins) are imported as they are.
 */
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ConfigError } from "./errors.ts";
import { libraryEntryUrl } from "./entry.ts";

/** Relative and absolute paths (esbuild bundles those); anything else is a package or a builtin. */
const PATH_LIKE = /^(\.{1,2}([\\/]|$)|[\\/]|[A-Za-z]:[\\/])/;
const CLAVE = /^clave(\/.*)?$/;

const RESOLVING = Symbol("clave-resolving");

/**
 * Bundle `file` into one ESM text: `clave` mapped to the running clave's entry, every other package
 * resolved now from the importing file's folder and kept as an import of its absolute URL, so the
 * bundle runs from any folder and shares installed packages with the rest of the process.
 */
async function bundle(file: string): Promise<string> {
  const esbuild = await import("esbuild");
  const entry = libraryEntryUrl();
  const entryFile = fileURLToPath(entry);
  const result = await esbuild.build({
    entryPoints: [file],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: "inline",
    logLevel: "silent",
    plugins: [
      {
        name: "clave-externals",
        setup(build) {
          build.onResolve({ filter: /.*/ }, async (args) => {
            if (args.kind === "entry-point" || args.pluginData === RESOLVING) return undefined;
            if (CLAVE.test(args.path)) {
              if (args.path !== "clave") return { errors: [{ text: `${args.path}: import from "clave" itself (it has no subpaths)` }] };
              return { path: entry, external: true };
            }
            const found = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: RESOLVING });
            if (PATH_LIKE.test(args.path)) {
              // The user's own files are bundled; clave itself (imported by its path) and files
              // inside installed packages are not.
              if (found.errors.length > 0 || found.external) return undefined;
              if (found.path === entryFile) return { path: entry, external: true };
              return found.path.split(sep).includes("node_modules") ? { path: pathToFileURL(found.path).href, external: true } : { path: found.path };
            }
            // A package that does not resolve stays a plain import: an optional dependency that is
            // imported only when present (clave's own AAC decoder) must not fail the bundle.
            if (found.errors.length > 0) return { path: args.path, external: true };
            // Builtins (`node:fs`) stay as they are; packages become their file's URL.
            return { path: found.external ? found.path : pathToFileURL(found.path).href, external: true };
          });
        },
      },
    ],
  });
  return result.outputFiles[0].text;
}

function esbuildMessage(error: unknown): string {
  const errors = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return (error as Error).message;
  return errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text)).join("; ");
}

/**
 * Import a user's module file (a path or a `file:` URL) and return its namespace. Errors (syntax, a missing import, a throw at
 * load) are `ConfigError`s naming the file.
 */
export async function importUserModule(fileOrUrl: string): Promise<Record<string, unknown>> {
  const file = fileOrUrl.startsWith("file:") ? fileURLToPath(fileOrUrl) : fileOrUrl;
  if (file.split(sep).includes("node_modules")) {
    try {
      return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(file, `cannot load module: ${(error as Error).message}`, { cause: error });
    }
  }
  let code: string;
  try {
    code = await bundle(file);
  } catch (error) {
    throw new ConfigError(file, `cannot load module: ${esbuildMessage(error)}`, { cause: error });
  }
  const temp = join(tmpdir(), `clave-module-${process.pid}-${randomBytes(6).toString("hex")}.mjs`);
  try {
    await writeFile(temp, code, { flag: "wx", mode: 0o600 });
  } catch (error) {
    throw new ConfigError(temp, `cannot write the bundled module: ${(error as Error).message}`, { cause: error });
  }
  try {
    return (await import(pathToFileURL(temp).href)) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(file, `cannot load module: ${(error as Error).message}`, { cause: error });
  } finally {
    await rm(temp, { force: true });
  }
}
