/**
 * External plugins: loading a plugin module from a path or a package, and the project config file
 * (`clave.config.ts`, `.js`, `.mjs` or `.json` in the working directory) that names them.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { isAbsolute, join, resolve } from "node:path";
import { ConfigError, PluginError } from "./errors.ts";
import { importUserModule } from "./load-module.ts";
import { PLUGIN_KINDS, type Plugin } from "./plugin.ts";
import { Registry, type RegisteredPlugin } from "./registry.ts";

/** What a `clave.config.*` file holds. */
export interface ClaveConfig {
  /** Plugin objects, or paths (relative to the config file) and package names of plugin modules. */
  plugins?: (string | Plugin)[];
}

/** Typed helper for `clave.config.ts`: `export default defineConfig({ plugins: ["./my-feature.ts"] })`. */
export function defineConfig(config: ClaveConfig): ClaveConfig {
  return config;
}

export const CONFIG_FILES = ["clave.config.ts", "clave.config.mjs", "clave.config.js", "clave.config.json"] as const;

function looksLikePlugin(value: unknown): boolean {
  return typeof value === "object" && value !== null && PLUGIN_KINDS.includes((value as { kind?: never }).kind as never);
}

/** Resolve a `--plugin` argument: a path (has a slash or a file extension) or an installed package name. */
export function resolvePluginSpecifier(specifier: string, cwd: string): string {
  const isPath = specifier.startsWith(".") || isAbsolute(specifier) || /\.(m?[jt]s|cjs)$/.test(specifier);
  if (isPath) {
    const file = resolve(cwd, specifier);
    if (!existsSync(file)) throw new ConfigError(file, "plugin file not found");
    return file;
  }
  try {
    return createRequire(join(cwd, "package.json")).resolve(specifier);
  } catch (error) {
    throw new ConfigError(specifier, `plugin package not found from ${cwd} (npm install ${specifier}?)`, { cause: error });
  }
}

/**
 * Import a plugin module (a file path; see load-module.ts for how `import ... from "clave"` resolves)
 * and collect the plugins it exports (its default export, and named plugin exports). */
export async function importPlugins(file: string): Promise<unknown[]> {
  const module = await importUserModule(file);
  const found: unknown[] = [];
  const add = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(add);
    else if (value !== undefined && !found.includes(value)) found.push(value);
  };
  add(module.default);
  for (const [key, value] of Object.entries(module)) if (key !== "default" && looksLikePlugin(value)) add(value);
  if (found.length === 0) {
    throw new PluginError("?", file, "default", "the module exports no plugin (default-export defineFeature({...}) or similar)");
  }
  return found;
}

/** Read the project config in `cwd`, if there is one. */
export async function loadConfig(cwd: string): Promise<{ file: string; config: ClaveConfig } | undefined> {
  const name = CONFIG_FILES.find((f) => existsSync(join(cwd, f)));
  if (!name) return undefined;
  const file = join(cwd, name);
  let config: unknown;
  if (name.endsWith(".json")) {
    try {
      config = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new ConfigError(file, `invalid JSON: ${(error as Error).message}`);
    }
  } else {
    config = (await importUserModule(file)).default;
  }
  if (typeof config !== "object" || config === null) throw new ConfigError(file, "the config must be an object");
  const plugins = (config as ClaveConfig).plugins;
  if (plugins !== undefined && !Array.isArray(plugins)) throw new ConfigError(file, "`plugins` must be a list");
  return { file, config: config as ClaveConfig };
}

export interface CreateRegistryOptions {
  /** Built-in plugins (the toolkit's own). */
  builtins?: readonly Plugin[];
  /** Directory of the config file and of relative `--plugin` paths. Default: `process.cwd()`. */
  cwd?: string;
  /** `--plugin` arguments: paths or package names of plugin modules. */
  plugins?: readonly string[];
  /** Read `clave.config.*` from `cwd` (default true). */
  config?: boolean;
}

/** A registry with the built-ins, the config file's plugins and the `--plugin` ones, all validated. */
export async function createRegistry(options: CreateRegistryOptions = {}): Promise<Registry> {
  const cwd = options.cwd ?? process.cwd();
  const entries: RegisteredPlugin[] = (options.builtins ?? []).map((plugin) => ({ plugin, origin: "builtin" }));
  const registry = new Registry(entries);
  const loadFrom = async (specifier: string, base: string) => {
    const file = resolvePluginSpecifier(specifier, base);
    for (const plugin of await importPlugins(file)) registry.add(plugin, file);
  };
  if (options.config !== false) {
    const found = await loadConfig(cwd);
    for (const entry of found?.config.plugins ?? []) {
      if (typeof entry === "string") await loadFrom(entry, cwd);
      else registry.add(entry, found!.file);
    }
  }
  for (const specifier of options.plugins ?? []) await loadFrom(specifier, cwd);
  return registry;
}
