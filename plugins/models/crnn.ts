/**
 * Convolutional recurrent networks on mel spectrograms `[time, mels]`: convolution blocks (conv →
 * ReLU → max-pool) in 1-D along time (mels as channels) or 2-D over time × mels, then a GRU or LSTM
 * with dropout on its inputs and recurrent state, then softmax. `conv` and `rnn` pick CNN1D+GRU,
 * CNN1D+LSTM, CNN2D+LSTM or CNN2D+GRU. Options: batch normalisation in the convolution blocks
 * (conv without bias → batch norm → ReLU → pool, as Choi et al.'s CRNN), and the recurrent layer's
 * summary — its last state, or the average or maximum of its states over time.
 */
import { z } from "zod";
import type * as TF from "@tensorflow/tfjs";
import { InputShapeError } from "../../core/errors.ts";
import { TORCH_BATCH_NORM } from "../../core/layers/index.ts";
import { defineTfModel } from "../../core/tfmodel.ts";

export default defineTfModel({
  name: "crnn",
  description: "CNN (1-D or 2-D, max-pool after ReLU) + GRU or LSTM with recurrent dropout, on mel spectrograms.",
  params: z.object({
    conv: z.enum(["1d", "2d"]).default("2d").describe("1-D convolutions along time (mels as channels) or 2-D over time x mels"),
    rnn: z.enum(["gru", "lstm"]).default("gru").describe("recurrent layer after the convolutions"),
    filters: z.array(z.number().int().positive()).min(1).default([32, 64]).describe("filters of each convolution block"),
    kernel_size: z.number().int().positive().default(3).describe("convolution kernel size (each axis)"),
    pool_size: z.number().int().positive().default(2).describe("max-pool size (each axis) after each convolution"),
    rnn_units: z.number().int().positive().default(64).describe("units of the recurrent layer"),
    rnn_dropout: z.number().min(0).max(0.9).default(0.2).describe("dropout on the recurrent layer's inputs and state"),
    batch_norm: z.boolean().default(false).describe("batch normalisation between each convolution (then without bias) and its ReLU"),
    pooling: z
      .enum(["last", "average", "max"])
      .default("last")
      .describe("what of the recurrent layer goes to the output: its last state, or the average or maximum of its states over time"),
  }),
  input: { ranks: [2], describe: "spectrograms [time, mels] (e.g. melspectrogram frames)" },
  build(io, p, tf, kit) {
    const [time, mels] = io.inputShape;
    const input = kit.input();
    let x = kit.standardize(input);
    const pooled = (n: number) => Math.ceil(n / p.pool_size);
    const apply = (layer: TF.layers.Layer) => (x = layer.apply(x) as TF.SymbolicTensor);
    const block = (i: number, conv: TF.layers.Layer, pool: TF.layers.Layer) => {
      apply(conv);
      if (p.batch_norm) {
        apply(tf.layers.batchNormalization({ ...TORCH_BATCH_NORM, name: `batch_norm_${i + 1}` }));
        apply(tf.layers.activation({ activation: "relu", name: `relu_${i + 1}` }));
      }
      apply(pool);
    };
    // Without batch norm the ReLU stays inside the convolution (one fused kernel).
    const convOptions = (filters: number, i: number) => ({
      filters,
      kernelSize: p.kernel_size,
      padding: "same" as const,
      useBias: !p.batch_norm,
      activation: p.batch_norm ? ("linear" as const) : ("relu" as const),
      name: `conv_${i + 1}`,
    });
    if (p.conv === "1d") {
      for (const [i, filters] of p.filters.entries()) {
        block(i, tf.layers.conv1d(convOptions(filters, i)), tf.layers.maxPooling1d({ poolSize: p.pool_size, padding: "same", name: `pool_${i + 1}` }));
      }
    } else {
      apply(tf.layers.reshape({ targetShape: [time, mels, 1], name: "add_channel" }));
      let [t, f] = [time, mels];
      for (const [i, filters] of p.filters.entries()) {
        block(i, tf.layers.conv2d(convOptions(filters, i)), tf.layers.maxPooling2d({ poolSize: p.pool_size, padding: "same", name: `pool_${i + 1}` }));
        [t, f] = [pooled(t), pooled(f)];
      }
      const channels = p.filters[p.filters.length - 1];
      apply(tf.layers.reshape({ targetShape: [t, f * channels], name: "to_sequence" }));
    }
    if ((x.shape[1] ?? 0) < 1) throw new InputShapeError("crnn", `${time} frames are too few for ${p.filters.length} pooling blocks`);
    // Keras 2.3+ and PyTorch gate with the logistic sigmoid; tfjs defaults to hardSigmoid.
    const recurrent = {
      units: p.rnn_units,
      dropout: p.rnn_dropout,
      recurrentDropout: p.rnn_dropout,
      recurrentActivation: "sigmoid" as const,
      returnSequences: p.pooling !== "last",
      name: p.rnn,
    };
    apply(p.rnn === "gru" ? tf.layers.gru(recurrent) : tf.layers.lstm(recurrent));
    if (p.pooling === "average") apply(tf.layers.globalAveragePooling1d({ name: "time_pool" }));
    else if (p.pooling === "max") apply(tf.layers.globalMaxPooling1d({ name: "time_pool" }));
    return tf.model({ inputs: input, outputs: kit.head(x), name: `crnn_${p.conv}_${p.rnn}` });
  },
});
