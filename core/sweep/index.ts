/** Sweeps: W&B sweep files, grid / random / TPE proposals, trials as recorded runs, parallel and resumable. */
export * from "./spec.ts";
export * from "./tpe.ts";
export * from "./trial.ts";
export * from "./sweep.ts";
