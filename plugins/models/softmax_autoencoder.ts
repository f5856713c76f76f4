/**
 * An autoencoder whose code feeds a softmax classifier, both trained together on
 * `γ · reconstruction MSE + (1 − γ) · cross-entropy` (γ = `gamma`, 0.9 by default). Codes, logits
 * and reconstructions are read with `inspect`.
 */
import { z } from "zod";
import { autoencoderNetwork } from "../../core/layers/autoencoder.ts";
import { defineTfModel } from "../../core/tfmodel.ts";

export default defineTfModel({
  name: "softmax_autoencoder",
  description: "Autoencoder with a softmax on its code, trained on gamma * reconstruction + (1 - gamma) * cross-entropy.",
  params: z.object({
    encoder_units: z.array(z.number().int().positive()).default([256, 128]).describe("units of the encoder layers before the code (the decoder mirrors them)"),
    code_units: z.number().int().positive().default(64).describe("size of the code"),
    activation: z.enum(["relu", "tanh", "elu", "sigmoid"]).default("relu").describe("activation of the hidden layers and the code"),
    gamma: z.number().min(0).max(1).default(0.9).describe("weight of the reconstruction loss; the cross-entropy gets 1 - gamma"),
  }),
  taps: { code: "code", logits: "logits", reconstruction: "reconstruction" },
  build(io, p, tf, kit) {
    return autoencoderNetwork(tf, kit, io, {
      encoderUnits: p.encoder_units,
      codeUnits: p.code_units,
      activation: p.activation,
      name: "softmax_autoencoder",
    });
  },
  losses: (p) => [
    { output: "probabilities", loss: "crossentropy", weight: 1 - p.gamma },
    { output: "reconstruction", loss: "mse", weight: p.gamma },
  ],
});
