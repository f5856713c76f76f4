/**
 * Bidirectional LSTM over frame sequences `[time, features]`, then self-attention pooling over the
 * time steps: `α_t = softmax_t(vᵀ tanh(W h_t + b))`, `c = Σ_t α_t h_t`, then softmax. The weights
 * `α` of each sample are read with `inspect(...).attention` (`[n, time]`). Batches of 16.
 */
import { z } from "zod";
import type * as TF from "@tensorflow/tfjs";
import { defineTfModel } from "../../core/tfmodel.ts";

export default defineTfModel({
  name: "bilstm_attention",
  description: "Bidirectional LSTM with self-attention pooling over time (weights readable per sample), softmax.",
  params: z.object({
    units: z.number().int().positive().default(64).describe("LSTM units per direction"),
    attention_units: z.number().int().positive().default(64).describe("hidden size of the attention scoring layer"),
    dropout: z.number().min(0).max(0.9).default(0.3).describe("dropout on the pooled vector"),
  }),
  training: { batch_size: 16 },
  input: { ranks: [2], describe: "frame sequences [time, features]" },
  taps: { attention: "attention_weights", pooled: "attention_pooling" },
  build(io, p, tf, kit) {
    const input = kit.input();
    const x = kit.standardize(input);
    const h = tf.layers
      .bidirectional({ layer: tf.layers.lstm({ units: p.units, returnSequences: true, recurrentActivation: "sigmoid" }) as TF.RNN, mergeMode: "concat", name: "bilstm" })
      .apply(x) as TF.SymbolicTensor;
    const weights = kit.layers.attentionScores({ units: p.attention_units, name: "attention_weights" }).apply(h) as TF.SymbolicTensor;
    let pooled = kit.layers.weightedSum({ name: "attention_pooling" }).apply([h, weights]) as TF.SymbolicTensor;
    if (p.dropout > 0) pooled = tf.layers.dropout({ rate: p.dropout, name: "dropout" }).apply(pooled) as TF.SymbolicTensor;
    return tf.model({ inputs: input, outputs: kit.head(pooled), name: "bilstm_attention" });
  },
});
