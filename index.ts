/**
 * clave: music genre and subgenre analysis in TypeScript.
 *
 *     import { createRegistry } from "clave";
 *     const registry = await createRegistry();      // built-ins + clave.config.* plugins
 *     registry.describe("feature");                   // every feature with its params
 */
import { createRegistry as createRegistryWith, type CreateRegistryOptions } from "./core/config.ts";
import type { Registry } from "./core/registry.ts";
import { builtinPlugins } from "./plugins/index.ts";

export * from "./core/index.ts";
export { builtinPlugins };

/** A registry of clave's built-in plugins plus those of `clave.config.*` and `options.plugins`. */
export function createRegistry(options: Omit<CreateRegistryOptions, "builtins"> = {}): Promise<Registry> {
  return createRegistryWith({ ...options, builtins: builtinPlugins });
}
