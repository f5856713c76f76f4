/** The training engine: AdamW, schedules, early stopping, class weights, phases of a tfjs network's training. */
export * from "./class-weights.ts";
export * from "./early-stopping.ts";
export * from "./schedule.ts";
export * from "./optimizer.ts";
export * from "./params.ts";
export * from "./fit.ts";
export * from "./batches.ts";
export * from "./augment.ts";
export * from "./gradients.ts";
export { partSizes } from "./parallel.ts";
export { runTrainWorker } from "./parallel-worker.ts";
