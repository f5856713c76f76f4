/** Metrics: confusion matrices, precision/recall/F1, test loss, track-level aggregation. */
export * from "./confusion.ts";
export * from "./classification.ts";
export * from "./probabilities.ts";
export * from "./evaluate.ts";
