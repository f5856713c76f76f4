/** The smallest network of the studies: the features flattened, one hidden layer of 128 tanh units, softmax. */
import { z } from "zod";
import type * as TF from "@tensorflow/tfjs";
import { defineTfModel } from "../../core/tfmodel.ts";

export default defineTfModel({
  name: "dense2",
  description: "One hidden dense layer (128 tanh) on flattened features, softmax.",
  params: z.object({
    units: z.number().int().positive().default(128).describe("hidden units"),
    activation: z.enum(["tanh", "relu", "sigmoid", "elu"]).default("tanh").describe("hidden activation"),
    dropout: z.number().min(0).max(0.9).default(0).describe("dropout after the hidden layer"),
  }),
  build(io, p, tf, kit) {
    const input = kit.input();
    let x = kit.standardize(input);
    if (io.inputShape.length > 1) x = tf.layers.flatten({ name: "flatten" }).apply(x) as TF.SymbolicTensor;
    x = tf.layers.dense({ units: p.units, activation: p.activation, name: "hidden" }).apply(x) as TF.SymbolicTensor;
    if (p.dropout > 0) x = tf.layers.dropout({ rate: p.dropout, name: "dropout" }).apply(x) as TF.SymbolicTensor;
    return tf.model({ inputs: input, outputs: kit.head(x), name: "dense2" });
  },
});
