/** Runs: feature pipelines from audio to model inputs, dataset arrays, recorded trainings and their reuse. */
export * from "./features.ts";
export * from "./data.ts";
export * from "./run.ts";
export * from "./use.ts";
