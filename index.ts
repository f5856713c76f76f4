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
import { setBuiltinPlugins } from "./core/defaults.ts";

export * from "./core/index.ts";
// Arquero, for the tables clave returns, so a notebook cell imports from "clave" alone.
export * as aq from "arquero";
export { builtinPlugins };
// Readers of the published datasets' own tables (FMA metadata, Kaggle's GTZAN feature CSVs).
export { readFmaTracks, readFmaGenres, readFmaFeatures, fmaAudioPath, fmaKnownIssue } from "./plugins/sources/fma.ts";
export { readGtzanFeatures, gtzanTrackId } from "./plugins/sources/gtzan.ts";
export { sturmSplit } from "./plugins/sources/gtzan-sturm-split.ts";
export { renderClip, clipSpec, SYNTHETIC_STYLES } from "./plugins/sources/synthetic.ts";

setBuiltinPlugins(builtinPlugins);

/** A registry of clave's built-in plugins plus those of `clave.config.*` and `options.plugins`. */
export function createRegistry(options: Omit<CreateRegistryOptions, "builtins"> = {}): Promise<Registry> {
  return createRegistryWith({ ...options, builtins: builtinPlugins });
}
