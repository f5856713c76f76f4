/**
 * A stacked LSTM over frame sequences `[time, features]`: padded frames (all `mask_value`) are
 * masked, then LSTM 128 (returning sequences) → dropout 0.3 → LSTM 64 → dropout 0.3 → dense 64 ReLU
 * → softmax. Trained with balanced class weights (imbalanced genres) in batches of 32.
 */
import { z } from "zod";
import type * as TF from "@tensorflow/tfjs";
import { defineTfModel } from "../../core/tfmodel.ts";

export default defineTfModel({
  name: "lstm",
  description: "Masked stacked LSTM (128 → 64) over frame sequences, dense 64 ReLU, softmax; balanced class weights.",
  params: z.object({
    units: z.array(z.number().int().positive()).min(1).default([128, 64]).describe("units of each LSTM layer (all but the last return sequences)"),
    dropout: z.number().min(0).max(0.9).default(0.3).describe("dropout after each LSTM layer"),
    dense_units: z.number().int().min(0).default(64).describe("units of the ReLU dense layer before the softmax (0: none)"),
    mask_value: z.number().default(0).describe("frames whose features all equal this are padding and masked"),
    masking: z.boolean().default(true).describe("mask padded frames"),
  }),
  training: { batch_size: 32, class_weight: "balanced" },
  input: { ranks: [2], describe: "frame sequences [time, features] (a frame-level feature such as stack417)" },
  build(io, p, tf, kit) {
    const input = kit.input();
    let x: TF.SymbolicTensor = input;
    if (p.masking) x = tf.layers.masking({ maskValue: p.mask_value, name: "masking" }).apply(x) as TF.SymbolicTensor;
    x = kit.standardize(x, { ignoreValue: p.masking ? p.mask_value : null });
    for (const [i, units] of p.units.entries()) {
      const last = i === p.units.length - 1;
      x = tf.layers.lstm({ units, returnSequences: !last, recurrentActivation: "sigmoid", name: `lstm_${i + 1}` }).apply(x) as TF.SymbolicTensor;
      if (p.dropout > 0) x = tf.layers.dropout({ rate: p.dropout, name: `dropout_${i + 1}` }).apply(x) as TF.SymbolicTensor;
    }
    if (p.dense_units > 0) x = tf.layers.dense({ units: p.dense_units, activation: "relu", name: "dense" }).apply(x) as TF.SymbolicTensor;
    return tf.model({ inputs: input, outputs: kit.head(x), name: "lstm" });
  },
});
