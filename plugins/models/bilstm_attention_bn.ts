/**
 * `bilstm_attention` with batch normalisation: bidirectional LSTM → batch norm → [attention pooling,
 * global average pooling] concatenated → dense 128 ReLU → dropout 0.4 → dense 64 ReLU → dropout 0.3
 * → softmax. Attention weights per sample via `inspect(...).attention`. Batches of 16.
 */
import { z } from "zod";
import type * as TF from "@tensorflow/tfjs";
import { defineTfModel } from "../../core/tfmodel.ts";

export default defineTfModel({
  name: "bilstm_attention_bn",
  description: "Bidirectional LSTM + batch norm, attention and average pooling, dense 128 → 64 with dropout 0.4/0.3, softmax.",
  params: z.object({
    units: z.number().int().positive().default(64).describe("LSTM units per direction"),
    attention_units: z.number().int().positive().default(64).describe("hidden size of the attention scoring layer"),
    dense_units: z.array(z.number().int().positive()).min(1).default([128, 64]).describe("units of the ReLU dense layers"),
    dropout: z.array(z.number().min(0).max(0.9)).min(1).default([0.4, 0.3]).describe("dropout after each dense layer"),
  }),
  training: { batch_size: 16 },
  input: { ranks: [2], describe: "frame sequences [time, features]" },
  taps: { attention: "attention_weights", pooled: "pooled" },
  build(io, p, tf, kit) {
    const input = kit.input();
    const x = kit.standardize(input);
    let h = tf.layers
      .bidirectional({ layer: tf.layers.lstm({ units: p.units, returnSequences: true, recurrentActivation: "sigmoid" }) as TF.RNN, mergeMode: "concat", name: "bilstm" })
      .apply(x) as TF.SymbolicTensor;
    h = tf.layers.batchNormalization({ name: "batch_norm" }).apply(h) as TF.SymbolicTensor;
    const weights = kit.layers.attentionScores({ units: p.attention_units, name: "attention_weights" }).apply(h) as TF.SymbolicTensor;
    const attended = kit.layers.weightedSum({ name: "attention_pooling" }).apply([h, weights]) as TF.SymbolicTensor;
    const averaged = tf.layers.globalAveragePooling1d({ name: "average_pooling" }).apply(h) as TF.SymbolicTensor;
    let z_ = tf.layers.concatenate({ name: "pooled" }).apply([attended, averaged]) as TF.SymbolicTensor;
    for (const [i, units] of p.dense_units.entries()) {
      z_ = tf.layers.dense({ units, activation: "relu", name: `dense_${i + 1}` }).apply(z_) as TF.SymbolicTensor;
      const rate = p.dropout[Math.min(i, p.dropout.length - 1)];
      if (rate > 0) z_ = tf.layers.dropout({ rate, name: `dropout_${i + 1}` }).apply(z_) as TF.SymbolicTensor;
    }
    return tf.model({ inputs: input, outputs: kit.head(z_), name: "bilstm_attention_bn" });
  },
});
