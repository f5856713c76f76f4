/**
 * tfjs-layers' LSTM and GRU layers on the fused sequence kernels (lstm.ts, gru.ts) when the backend
 * is wasm.
 *
 * `installFusedRnns(tf)` wraps `LSTM.prototype.call` and `GRU.prototype.call` once: a call the fused kernels cover (wasm
 * backend with the kernels registered, float32 [batch, time, features] input, tanh activation,
 * sigmoid or hardSigmoid recurrent activation, no initial state, not stateful, no returned states)
 * runs as one kernel; any other call goes to tfjs-layers' own code unchanged. Weights, masking,
 * dropout (a mask per sample and feature, the same at every step, as tfjs-layers draws it),
 * `goBackwards` (so Bidirectional) and serialisation are those of the stock layer, so models save
 * and load as plain `LSTM`s and `GRU`s.
 */
import type * as TF from "@tensorflow/tfjs";
import { GRU_SEQUENCE } from "./gru.ts";
import { LSTM_SEQUENCE } from "./lstm.ts";
import type { ActivationKind } from "./rnn.ts";
import type { Tf } from "./wasm.ts";

interface CellLike {
  units: number;
  dropout: number;
  recurrentDropout: number;
  useBias: boolean;
  activation: { getClassName(): string };
  recurrentActivation: { getClassName(): string };
  kernel: { read(): TF.Tensor };
  recurrentKernel: { read(): TF.Tensor };
  bias?: { read(): TF.Tensor } | null;
}

interface LayerLike {
  cell: CellLike;
  stateful: boolean;
  returnState: boolean;
  returnSequences: boolean;
  goBackwards: boolean;
}

type Kwargs = { mask?: TF.Tensor | null; training?: boolean | null; initialState?: TF.Tensor[] | null } | undefined;
type Call = (this: LayerLike, inputs: TF.Tensor | TF.Tensor[], kwargs: Kwargs) => TF.Tensor | TF.Tensor[];

const PATCHED = Symbol.for("clave.fusedRnn");

function recurrentActivation(cell: CellLike): ActivationKind | undefined {
  const name = cell.recurrentActivation.getClassName();
  return name === "sigmoid" || name === "hardSigmoid" ? name : undefined;
}

function fusable(tf: Tf, kernel: string, layer: LayerLike, x: TF.Tensor, kwargs: Kwargs): boolean {
  if (tf.getBackend() !== "wasm" || tf.getKernel(kernel, "wasm") === undefined) return false;
  if (layer.stateful || layer.returnState || kwargs?.initialState != null) return false;
  if (x.rank !== 3 || x.dtype !== "float32" || x.shape[1] === 0 || x.shape[0] === 0) return false;
  const cell = layer.cell;
  if (cell.activation.getClassName() !== "tanh" || recurrentActivation(cell) === undefined) return false;
  const mask = kwargs?.mask;
  return mask == null || (mask.rank === 2 && mask.shape[0] === x.shape[0] && mask.shape[1] === x.shape[1]);
}

/** Wrap `proto.call` so that calls the `kernel` covers run it (`gates` = 4 for LSTM, 3 for GRU). */
function install(tf: Tf, proto: { call: Call; [PATCHED]?: true }, kernel: string, gates: number): void {
  if (proto[PATCHED]) return;
  const original = proto.call;
  proto.call = function (this: LayerLike, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if ((Array.isArray(inputs) && inputs.length !== 1) || !fusable(tf, kernel, this, x, kwargs)) return original.call(this, inputs, kwargs);
    const cell = this.cell;
    return tf.tidy(() => {
      const [B, T, F] = x.shape;
      const U = cell.units;
      const training = Boolean(kwargs?.training);
      const dropped = training && cell.dropout > 0 && cell.dropout < 1;
      const input = dropped ? tf.mul(x, tf.reshape(tf.dropout(tf.ones([B, F]), cell.dropout), [B, 1, F])) : x;
      const recurrentMask =
        training && cell.recurrentDropout > 0 && cell.recurrentDropout < 1 ? tf.dropout(tf.ones([B, U]), cell.recurrentDropout) : tf.ones([B, U]);
      const mask = kwargs?.mask != null ? tf.cast(tf.cast(kwargs.mask, "bool"), "float32") : tf.ones([B, T]);
      const bias = cell.useBias && cell.bias ? cell.bias.read() : tf.zeros([gates * U]);
      const outputs = tf.engine().runKernel(
        kernel,
        { x: input, kernel: cell.kernel.read(), recurrentKernel: cell.recurrentKernel.read(), bias, mask, recurrentMask } as unknown as TF.NamedTensorMap,
        { goBackwards: this.goBackwards, returnSequences: this.returnSequences, recurrentActivation: recurrentActivation(cell) as ActivationKind },
      ) as TF.Tensor[];
      // The other outputs are the saved internals; the tape keeps its own references.
      tf.dispose(outputs.slice(1));
      return outputs[0];
    });
  };
  proto[PATCHED] = true;
}

/** Route tfjs-layers' LSTM and GRU through the fused kernels where they apply. Idempotent. */
export function installFusedRnns(tf: Tf): void {
  install(tf, Object.getPrototypeOf(tf.layers.lstm({ units: 1 })), LSTM_SEQUENCE, 4);
  install(tf, Object.getPrototypeOf(tf.layers.gru({ units: 1 })), GRU_SEQUENCE, 3);
}
