/**
 * The registry that one-call functions (`train`, `dataset`, `extract`, `plot`...) use when they are
 * given none: clave's built-in plugins, which the library entry hands over here (core does not import
 * plugins/), plus the `clave.config.*` of the working directory. Built once per process.
 */
import { createRegistry } from "./config.ts";
import type { Plugin } from "./plugin.ts";
import type { Registry } from "./registry.ts";

let builtins: readonly Plugin[] = [];
let shared: Promise<Registry> | undefined;

/** Called by the library entry with the built-in plugins. */
export function setBuiltinPlugins(plugins: readonly Plugin[]): void {
  builtins = plugins;
  shared = undefined;
}

/** The built-in plugins handed over by the library entry. */
export function builtinPluginList(): readonly Plugin[] {
  return builtins;
}

/** The given registry, or the shared default one (built-ins + `clave.config.*`). */
export function registryOrDefault(registry?: Registry | Promise<Registry>): Promise<Registry> {
  if (registry) return Promise.resolve(registry);
  shared ??= createRegistry({ builtins });
  return shared;
}
