/**
 * The network shared by the autoencoder models: input (standardised, flattened, `d` values) →
 * dense encoder layers → a code of `codeUnits` → the mirrored decoder → `reconstruction` (`d`
 * values, linear), and from the code a classifier: `logits` (dense, linear) → `probabilities`
 * (softmax). E.g. 500 → 256 → 128 → 64 → 128 → 256 → 500.
 */
import type * as TF from "@tensorflow/tfjs";
import type { ModelIO } from "../plugin.ts";
import type { BuildKit } from "../tfmodel.ts";

export interface AutoencoderShape {
  readonly encoderUnits: readonly number[];
  readonly codeUnits: number;
  readonly activation: "relu" | "tanh" | "elu" | "sigmoid";
  readonly name: string;
}

/** Names of the encoder's layers (what a classifier-only phase may freeze). */
export function encoderLayerNames(shape: AutoencoderShape): string[] {
  return ["standardize", "flatten", ...shape.encoderUnits.map((_, i) => `encoder_${i + 1}`), "code"];
}

export function autoencoderNetwork(tf: typeof TF, kit: BuildKit, io: ModelIO, shape: AutoencoderShape): TF.LayersModel {
  const d = io.inputShape.reduce((a, b) => a * b, 1);
  const input = kit.input();
  let x = kit.standardize(input);
  if (io.inputShape.length > 1) x = tf.layers.flatten({ name: "flatten" }).apply(x) as TF.SymbolicTensor;
  const dense = (units: number, name: string, activation: AutoencoderShape["activation"] | "linear", from: TF.SymbolicTensor) =>
    tf.layers.dense({ units, activation, name }).apply(from) as TF.SymbolicTensor;
  for (const [i, units] of shape.encoderUnits.entries()) x = dense(units, `encoder_${i + 1}`, shape.activation, x);
  const code = dense(shape.codeUnits, "code", shape.activation, x);
  let y = code;
  const decoder = [...shape.encoderUnits].reverse();
  for (const [i, units] of decoder.entries()) y = dense(units, `decoder_${i + 1}`, shape.activation, y);
  const reconstruction = dense(d, "reconstruction", "linear", y);
  const logits = dense(io.nClasses, "logits", "linear", code);
  const probabilities = tf.layers.activation({ activation: "softmax", name: "probabilities" }).apply(logits) as TF.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [probabilities, reconstruction], name: shape.name });
}
