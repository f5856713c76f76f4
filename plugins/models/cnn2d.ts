/**
 * A 2-D CNN on spectrogram images (mel or MFCC, `[time, bins]` or `[time, bins, channels]`),
 * standardised per band with the training set's statistics. By default the network MIR courses
 * teach in PyTorch: 4 blocks of conv 3x3 without bias → batch norm → ReLU → max-pool 2 (32, 64,
 * 128, 128 channels), global average pooling, dropout 0.3, a linear softmax layer; Adam 1e-3,
 * batches of 32, early stopping with patience 6 and the best epoch's weights restored.
 *
 * The older plain layout (conv + ReLU → pool → dropout 0.3 per block, flatten, dense 128, dropout)
 * is `filters=32,64 batch_norm=false pooling=flatten block_dropout=0.3 dense_units=128`.
 */
import { z } from "zod";
import type * as TF from "@tensorflow/tfjs";
import { TORCH_BATCH_NORM } from "../../core/layers/index.ts";
import { defineTfModel } from "../../core/tfmodel.ts";

export default defineTfModel({
  name: "cnn2d",
  description: "2-D CNN on mel or MFCC images: 4 x [conv 3x3 → batch norm → ReLU → max-pool 2], global average pooling, dropout 0.3, softmax.",
  params: z.object({
    filters: z.array(z.number().int().positive()).min(1).default([32, 64, 128, 128]).describe("filters of each convolution block"),
    kernel_size: z.number().int().positive().default(3).describe("convolution kernel size (each axis)"),
    strides: z.number().int().positive().default(2).describe("max-pool size and stride (each axis)"),
    batch_norm: z.boolean().default(true).describe("batch normalisation between each convolution (then without bias) and its ReLU"),
    pooling: z
      .enum(["average", "max", "flatten"])
      .default("average")
      .describe("after the blocks: global average or max pooling over time and frequency, or flatten"),
    block_dropout: z.number().min(0).max(0.9).default(0).describe("dropout after each block (the plain layout: 0.3)"),
    dense_units: z.number().int().min(0).default(0).describe("units of a ReLU dense layer before the output (0: none; the plain layout: 128)"),
    dropout: z.number().min(0).max(0.9).default(0.3).describe("dropout before the output layer"),
  }),
  training: { batch_size: 32, learning_rate: 1e-3, early_stopping: 6 },
  input: { ranks: [2, 3], describe: "images [time, bins] or [time, bins, channels] (mel spectrogram, MFCC)" },
  build(io, p, tf, kit) {
    const input = kit.input();
    let x = kit.standardize(input);
    if (io.inputShape.length === 2) x = tf.layers.reshape({ targetShape: [...io.inputShape, 1], name: "add_channel" }).apply(x) as TF.SymbolicTensor;
    const apply = (layer: TF.layers.Layer) => (x = layer.apply(x) as TF.SymbolicTensor);
    for (const [i, filters] of p.filters.entries()) {
      const n = i + 1;
      // Without batch norm the ReLU stays inside the convolution (one fused kernel).
      apply(tf.layers.conv2d({ filters, kernelSize: p.kernel_size, padding: "same", useBias: !p.batch_norm, activation: p.batch_norm ? "linear" : "relu", name: `conv_${n}` }));
      if (p.batch_norm) {
        apply(tf.layers.batchNormalization({ ...TORCH_BATCH_NORM, name: `batch_norm_${n}` }));
        apply(tf.layers.activation({ activation: "relu", name: `relu_${n}` }));
      }
      apply(tf.layers.maxPooling2d({ poolSize: p.strides, strides: p.strides, padding: "same", name: `pool_${n}` }));
      if (p.block_dropout > 0) apply(tf.layers.dropout({ rate: p.block_dropout, name: `dropout_${n}` }));
    }
    if (p.pooling === "average") apply(tf.layers.globalAveragePooling2d({ name: "global_pool" }));
    else if (p.pooling === "max") apply(tf.layers.globalMaxPooling2d({ name: "global_pool" }));
    else apply(tf.layers.flatten({ name: "flatten" }));
    if (p.dense_units > 0) apply(tf.layers.dense({ units: p.dense_units, activation: "relu", name: "dense" }));
    if (p.dropout > 0) apply(tf.layers.dropout({ rate: p.dropout, name: "dropout" }));
    return tf.model({ inputs: input, outputs: kit.head(x), name: "cnn2d" });
  },
});
