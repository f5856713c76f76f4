/**
 * A dense feed-forward classifier: the input standardised per feature (mean and std of the training
 * set, kept in the model; `standardize` param), flattened, hidden ReLU layers with L2 weight decay
 * (64-32-16 by default), a softmax over the classes, trained with Adam on sparse cross-entropy.
 */
import { z } from "zod";
import type * as TF from "@tensorflow/tfjs";
import { defineTfModel } from "../../core/tfmodel.ts";

export default defineTfModel({
  name: "mlp",
  description: "Dense network on standardised, flattened features (64-32-16 ReLU with L2), softmax output.",
  params: z.object({
    hidden_units: z.array(z.number().int().positive()).min(1).default([64, 32, 16]).describe("units of each hidden layer (e.g. 8,4)"),
    activation: z.enum(["relu", "tanh", "elu", "sigmoid"]).default("relu").describe("hidden-layer activation"),
    l2: z.number().min(0).default(1e-4).describe("L2 penalty on the hidden kernels"),
    dropout: z.number().min(0).max(0.9).default(0).describe("dropout rate after each hidden layer"),
    learning_rate: z.number().positive().default(1e-3).describe("Adam learning rate"),
  }),
  build(io, p, tf, kit) {
    const input = kit.input();
    // Without standardisation, features of large scale (MFCC's first coefficient is in the hundreds)
    // saturate the first layer and the loss stays flat. The layer is adapted only when `standardize` is on.
    let x = kit.standardize(input);
    if (io.inputShape.length > 1) x = tf.layers.flatten({ name: "flatten" }).apply(x) as TF.SymbolicTensor;
    for (const [i, units] of p.hidden_units.entries()) {
      x = tf.layers
        .dense({ units, activation: p.activation, kernelRegularizer: tf.regularizers.l2({ l2: p.l2 }), name: `hidden_${i + 1}` })
        .apply(x) as TF.SymbolicTensor;
      if (p.dropout > 0) x = tf.layers.dropout({ rate: p.dropout, name: `dropout_${i + 1}` }).apply(x) as TF.SymbolicTensor;
    }
    return tf.model({ inputs: input, outputs: kit.head(x), name: "mlp" });
  },
});
