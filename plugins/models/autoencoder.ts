/**
 * A dense autoencoder, then a classifier on its code. Training has two phases: the autoencoder
 * learns to reconstruct the standardised input (mean squared error, `pretrain_epochs`), then the
 * softmax classifier on the code learns the labels (`epochs`), the encoder frozen unless
 * `freeze_encoder=false`. Codes and reconstructions are read with `inspect`.
 */
import { z } from "zod";
import { autoencoderNetwork, encoderLayerNames } from "../../core/layers/autoencoder.ts";
import { defineTfModel } from "../../core/tfmodel.ts";

export default defineTfModel({
  name: "autoencoder",
  description: "Dense autoencoder (e.g. 500 → 256 → 128 → 64 → … → 500) pretrained on reconstruction, then a softmax on its code.",
  params: z.object({
    encoder_units: z.array(z.number().int().positive()).default([256, 128]).describe("units of the encoder layers before the code (the decoder mirrors them)"),
    code_units: z.number().int().positive().default(64).describe("size of the code"),
    activation: z.enum(["relu", "tanh", "elu", "sigmoid"]).default("relu").describe("activation of the hidden layers and the code"),
    pretrain_epochs: z.number().int().min(0).default(30).describe("epochs of reconstruction training before the classifier"),
    freeze_encoder: z.boolean().default(true).describe("keep the pretrained encoder fixed while the classifier trains"),
  }),
  taps: { code: "code", reconstruction: "reconstruction", logits: "logits" },
  build(io, p, tf, kit) {
    return autoencoderNetwork(tf, kit, io, { encoderUnits: p.encoder_units, codeUnits: p.code_units, activation: p.activation, name: "autoencoder" });
  },
  phases(p, epochs) {
    const encoder = new Set(encoderLayerNames({ encoderUnits: p.encoder_units, codeUnits: p.code_units, activation: p.activation, name: "" }));
    return [
      { name: "pretrain", epochs: p.pretrain_epochs, losses: [{ output: "reconstruction", loss: "mse", weight: 1 }] },
      {
        name: "",
        epochs,
        losses: [{ output: "probabilities", loss: "crossentropy", weight: 1 }],
        ...(p.freeze_encoder ? { frozen: (layer: string) => encoder.has(layer) } : {}),
      },
    ];
  },
});
