/**
 * A dense feed-forward classifier: the input flattened, hidden ReLU layers with L2 weight decay
 * (64-32-16 by default), a softmax over the classes, trained with Adam on sparse cross-entropy.
 */
import { z } from "zod";
import { defineTfModel } from "../../core/tfmodel.ts";

export default defineTfModel({
  name: "mlp",
  description: "Dense network on flattened features (64-32-16 ReLU with L2), softmax output.",
  params: z.object({
    hidden_units: z.array(z.number().int().positive()).min(1).default([64, 32, 16]).describe("units of each hidden layer"),
    activation: z.enum(["relu", "tanh", "elu", "sigmoid"]).default("relu").describe("hidden-layer activation"),
    l2: z.number().min(0).default(1e-4).describe("L2 penalty on the hidden kernels"),
    dropout: z.number().min(0).max(0.9).default(0).describe("dropout rate after each hidden layer"),
    learning_rate: z.number().positive().default(1e-3).describe("Adam learning rate"),
  }),
  build(io, p, tf) {
    const model = tf.sequential();
    const flat = io.inputShape.reduce((a, b) => a * b, 1);
    // Flatten only what is not already a vector (tfjs's flatten layer wants rank >= 3 with the batch).
    if (io.inputShape.length > 1) model.add(tf.layers.flatten({ inputShape: [...io.inputShape] }));
    for (const [i, units] of p.hidden_units.entries()) {
      model.add(
        tf.layers.dense({
          units,
          activation: p.activation,
          kernelRegularizer: tf.regularizers.l2({ l2: p.l2 }),
          ...(i === 0 && io.inputShape.length === 1 ? { inputShape: [flat] } : {}),
        }),
      );
      if (p.dropout > 0) model.add(tf.layers.dropout({ rate: p.dropout }));
    }
    model.add(tf.layers.dense({ units: io.nClasses, activation: "softmax" }));
    model.compile({ optimizer: tf.train.adam(p.learning_rate), loss: "sparseCategoricalCrossentropy", metrics: ["acc"] });
    return model;
  },
});
