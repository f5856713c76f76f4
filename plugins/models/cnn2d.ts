/**
 * A plain 2-D CNN on spectrogram images (mel or MFCC, `[time, bins]` or `[time, bins, channels]`):
 * blocks of conv 3x3 → ReLU → max-pool 2x2 with stride 2x2 → dropout 0.3, then dense ReLU, dropout
 * and softmax.
 */
import { z } from "zod";
import type * as TF from "@tensorflow/tfjs";
import { defineTfModel } from "../../core/tfmodel.ts";

export default defineTfModel({
  name: "cnn2d",
  description: "Plain 2-D CNN on mel or MFCC images: conv 3x3 + ReLU, 2x2 max-pool stride 2, 30% dropout, dense, softmax.",
  params: z.object({
    filters: z.array(z.number().int().positive()).min(1).default([32, 64]).describe("filters of each convolution block"),
    kernel_size: z.number().int().positive().default(3).describe("convolution kernel size (each axis)"),
    strides: z.number().int().positive().default(2).describe("pool size and stride (each axis)"),
    dropout: z.number().min(0).max(0.9).default(0.3).describe("dropout after each block and the dense layer"),
    dense_units: z.number().int().min(0).default(128).describe("units of the ReLU dense layer (0: none)"),
  }),
  input: { ranks: [2, 3], describe: "images [time, bins] or [time, bins, channels] (mel spectrogram, MFCC)" },
  build(io, p, tf, kit) {
    const input = kit.input();
    let x = kit.standardize(input);
    if (io.inputShape.length === 2) x = tf.layers.reshape({ targetShape: [...io.inputShape, 1], name: "add_channel" }).apply(x) as TF.SymbolicTensor;
    for (const [i, filters] of p.filters.entries()) {
      x = tf.layers.conv2d({ filters, kernelSize: p.kernel_size, padding: "same", activation: "relu", name: `conv_${i + 1}` }).apply(x) as TF.SymbolicTensor;
      x = tf.layers.maxPooling2d({ poolSize: p.strides, strides: p.strides, padding: "same", name: `pool_${i + 1}` }).apply(x) as TF.SymbolicTensor;
      if (p.dropout > 0) x = tf.layers.dropout({ rate: p.dropout, name: `dropout_${i + 1}` }).apply(x) as TF.SymbolicTensor;
    }
    x = tf.layers.flatten({ name: "flatten" }).apply(x) as TF.SymbolicTensor;
    if (p.dense_units > 0) {
      x = tf.layers.dense({ units: p.dense_units, activation: "relu", name: "dense" }).apply(x) as TF.SymbolicTensor;
      if (p.dropout > 0) x = tf.layers.dropout({ rate: p.dropout, name: "dropout" }).apply(x) as TF.SymbolicTensor;
    }
    return tf.model({ inputs: input, outputs: kit.head(x), name: "cnn2d" });
  },
});
