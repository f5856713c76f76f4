/** The plugins clave ships. Each lives in its own file under plugins/<kind>/. */
import type { Plugin } from "../core/plugin.ts";
import folder from "./sources/folder.ts";
import rms from "./features/rms.ts";
import stack, { stackableBuiltins } from "./features/stack.ts";
import mlp from "./models/mlp.ts";

export const builtinPlugins: readonly Plugin[] = [
  // sources
  folder,
  // features
  ...stackableBuiltins,
  stack,
  // models
  mlp,
] as Plugin[];
