/** Runs: feature pipelines from audio to model inputs, dataset arrays, recorded trainings and their reuse. */
export * from "./features.ts";
export * from "./data.ts";
export * from "./run.ts";
export * from "./use.ts";
export * from "./recorded-run.ts";
export * from "./study.ts";
export * from "./evaluate.ts";
export * from "./predict.ts";
export * from "./runs.ts";
export * from "./table.ts";
export * from "./cv.ts";
export * from "./multimodal.ts";
