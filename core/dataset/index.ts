/** Datasets: manifests, splits that do not leak, building from sources, validation, statistics. */
export * from "./manifest.ts";
export * from "./csv.ts";
export * from "./hash.ts";
export * from "./split.ts";
export * from "./normalize.ts";
export * from "./wav.ts";
export * from "./build.ts";
export * from "./validate.ts";
export * from "./stats.ts";
export * from "./files.ts";
export * from "./open.ts";
export * from "./table.ts";
