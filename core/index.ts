/** clave's core: plugin contracts, registry, arrays and files, backend and training helpers. */
export * from "./errors.ts";
export * from "./ndarray.ts";
export * from "./npy.ts";
export * from "./fsutil.ts";
export * from "./plugin.ts";
export * from "./params.ts";
export * from "./registry.ts";
export * from "./config.ts";
export * from "./backend.ts";
export * from "./random.ts";
export * from "./progress.ts";
export * from "./tfmodel.ts";
export * from "./audio/index.ts";
export * from "./dataset/index.ts";
