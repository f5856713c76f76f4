/**
 * tfjs-layers' LSTM layer on the fused sequence kernels (lstm.ts) when the backend is wasm.
 *
 * `installFusedLstm(tf)` wraps `LSTM.prototype.call` once: a call the fused kernels cover (wasm
 * backend with the kernels registered, float32 [batch, time, features] input, tanh activation,
 * sigmoid or hardSigmoid recurrent activation, no initial state, not stateful, no returned states)
 * runs as one kernel; any other call goes to tfjs-layers' own code unchanged. Weights, masking,
 * dropout (a mask per sample and feature, the same at every step, as tfjs-layers draws it),
 * `goBackwards` (so Bidirectional) and serialisation are those of the stock layer, so models save
 * and load as plain `LSTM`s.
 */
import type * as TF from "@tensorflow/tfjs";
import { LSTM_SEQUENCE, lstmSequence, type RecurrentActivation } from "./lstm.ts";
import type { Tf } from "./wasm.ts";

interface LstmCellLike {
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

interface LstmLayerLike {
  cell: LstmCellLike;
  stateful: boolean;
  returnState: boolean;
  returnSequences: boolean;
  goBackwards: boolean;
}

type Kwargs = { mask?: TF.Tensor | null; training?: boolean | null; initialState?: TF.Tensor[] | null } | undefined;
type Call = (this: LstmLayerLike, inputs: TF.Tensor | TF.Tensor[], kwargs: Kwargs) => TF.Tensor | TF.Tensor[];

const PATCHED = Symbol.for("clave.fusedLstm");

function recurrentActivation(cell: LstmCellLike): RecurrentActivation | undefined {
  const name = cell.recurrentActivation.getClassName();
  return name === "sigmoid" || name === "hardSigmoid" ? name : undefined;
}

function fusable(tf: Tf, layer: LstmLayerLike, x: TF.Tensor, kwargs: Kwargs): boolean {
  if (tf.getBackend() !== "wasm" || tf.getKernel(LSTM_SEQUENCE, "wasm") === undefined) return false;
  if (layer.stateful || layer.returnState || kwargs?.initialState != null) return false;
  if (x.rank !== 3 || x.dtype !== "float32" || x.shape[1] === 0 || x.shape[0] === 0) return false;
  const cell = layer.cell;
  if (cell.activation.getClassName() !== "tanh" || recurrentActivation(cell) === undefined) return false;
  const mask = kwargs?.mask;
  return mask == null || (mask.rank === 2 && mask.shape[0] === x.shape[0] && mask.shape[1] === x.shape[1]);
}

/** Route tfjs-layers' LSTM through the fused kernels where they apply. Idempotent; false if no LSTM class was found. */
export function installFusedLstm(tf: Tf): boolean {
  const proto = Object.getPrototypeOf(tf.layers.lstm({ units: 1 })) as { call: Call; [PATCHED]?: true };
  if (typeof proto.call !== "function") return false;
  if (proto[PATCHED]) return true;
  const original = proto.call;
  proto.call = function (this: LstmLayerLike, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if ((Array.isArray(inputs) && inputs.length !== 1) || !fusable(tf, this, x, kwargs)) return original.call(this, inputs, kwargs);
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
      const bias = cell.useBias && cell.bias ? cell.bias.read() : tf.zeros([4 * U]);
      return lstmSequence(
        tf,
        { x: input, kernel: cell.kernel.read(), recurrentKernel: cell.recurrentKernel.read(), bias, mask, recurrentMask },
        { goBackwards: this.goBackwards, returnSequences: this.returnSequences, recurrentActivation: recurrentActivation(cell) as RecurrentActivation },
      );
    });
  };
  proto[PATCHED] = true;
  return true;
}
