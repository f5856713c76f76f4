/**
 * A spectrogram `[time, mels]` cut along time into `tokens` equal pieces; one CNN, shared by all
 * tokens, encodes each to an `embedding_units`-d vector; attention pooling over the tokens
 * (`α = softmax_k(vᵀ tanh(W e_k + b))`) and a classifier. Token embeddings (`[n, tokens, 128]`) and
 * attention weights (`[n, tokens]`) are read with `inspect`. Options: batch normalisation in the
 * token encoder's blocks (conv without bias → batch norm → ReLU → pool), and global average or max
 * pooling of each token's feature map instead of flattening it.
 */
import { z } from "zod";
import type * as TF from "@tensorflow/tfjs";
import { InputShapeError } from "../../core/errors.ts";
import { TORCH_BATCH_NORM } from "../../core/layers/index.ts";
import { defineTfModel } from "../../core/tfmodel.ts";

export default defineTfModel({
  name: "cnn_token_attention",
  description: "Spectrogram split into time tokens, a shared CNN embeds each token (128-d), attention over tokens, classifier.",
  params: z.object({
    tokens: z.number().int().positive().default(20).describe("number of time tokens the spectrogram is cut into"),
    filters: z.array(z.number().int().positive()).min(1).default([16, 32]).describe("filters of the token encoder's convolution blocks"),
    kernel_size: z.number().int().positive().default(3).describe("convolution kernel size (each axis)"),
    embedding_units: z.number().int().positive().default(128).describe("size of each token's embedding"),
    attention_units: z.number().int().positive().default(64).describe("hidden size of the attention scoring layer"),
    dense_units: z.number().int().min(0).default(64).describe("units of the classifier's ReLU layer (0: none)"),
    dropout: z.number().min(0).max(0.9).default(0.3).describe("dropout before the softmax"),
    batch_norm: z.boolean().default(false).describe("batch normalisation between each token convolution (then without bias) and its ReLU"),
    token_pooling: z
      .enum(["flatten", "average", "max"])
      .default("flatten")
      .describe("how a token's feature map becomes a vector: flattened, or its global average or maximum per filter"),
  }),
  input: { ranks: [2], describe: "spectrograms [time, mels]" },
  taps: { attention: "attention_weights", embeddings: "token_embeddings" },
  build(io, p, tf, kit) {
    const [time] = io.inputShape;
    if (time < p.tokens) throw new InputShapeError("cnn_token_attention", `${time} frames cannot be cut into ${p.tokens} tokens (tokens=${p.tokens})`);
    const input = kit.input();
    let x = kit.layers.tokenSplit({ tokens: p.tokens, name: "tokens" }).apply(kit.standardize(input)) as TF.SymbolicTensor;
    const shared = (layer: TF.layers.Layer, name: string) => tf.layers.timeDistributed({ layer, name }).apply(x) as TF.SymbolicTensor;
    for (const [i, filters] of p.filters.entries()) {
      const n = i + 1;
      // Without batch norm the ReLU stays inside the convolution (one fused kernel).
      const activation = p.batch_norm ? "linear" : "relu";
      x = shared(tf.layers.conv2d({ filters, kernelSize: p.kernel_size, padding: "same", useBias: !p.batch_norm, activation }), `token_conv_${n}`);
      if (p.batch_norm) {
        x = shared(tf.layers.batchNormalization(TORCH_BATCH_NORM), `token_batch_norm_${n}`);
        x = shared(tf.layers.activation({ activation: "relu" }), `token_relu_${n}`);
      }
      x = shared(tf.layers.maxPooling2d({ poolSize: 2, padding: "same" }), `token_pool_${n}`);
    }
    if (p.token_pooling === "average") x = shared(tf.layers.globalAveragePooling2d({}), "token_global_pool");
    else if (p.token_pooling === "max") x = shared(tf.layers.globalMaxPooling2d({}), "token_global_pool");
    else x = shared(tf.layers.flatten(), "token_flatten");
    x = shared(tf.layers.dense({ units: p.embedding_units, activation: "relu" }), "token_embeddings");
    const embeddings = x;
    const weights = kit.layers.attentionScores({ units: p.attention_units, name: "attention_weights" }).apply(embeddings) as TF.SymbolicTensor;
    let z_ = kit.layers.weightedSum({ name: "attention_pooling" }).apply([embeddings, weights]) as TF.SymbolicTensor;
    if (p.dense_units > 0) z_ = tf.layers.dense({ units: p.dense_units, activation: "relu", name: "dense" }).apply(z_) as TF.SymbolicTensor;
    if (p.dropout > 0) z_ = tf.layers.dropout({ rate: p.dropout, name: "dropout" }).apply(z_) as TF.SymbolicTensor;
    return tf.model({ inputs: input, outputs: kit.head(z_), name: "cnn_token_attention" });
  },
});
