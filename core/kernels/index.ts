/**
 * clave's kernels for tfjs's wasm backend: the ones stock wasm lacks (so some models cannot train)
 * or runs slowly (so training is many times slower than it needs to be). Each replaces the kernel of
 * the same name for the `wasm` backend only; every other backend keeps its own.
 * `registerClaveKernels(tf)` is idempotent and `unregisterClaveKernels(tf)` restores the stock set.
 * With the fused RNN kernels registered, tfjs-layers' LSTM and GRU layers run through them on wasm
 * (rnn-layer.ts; other backends and unsupported configurations keep the stock layer code), and Dense
 * layers through the fused dense kernel (dense.ts), Masking layers through masking.ts and L1/L2 weight
 * regularizers through penalty.ts, and BatchNormalization in training through batch-norm.ts in the same way;
 * a Conv2D layer without bias or activation runs the plain Conv2D op (conv2d.ts).
 * Set `CLAVE_KERNELS=0` to leave the stock kernels alone.
 */
import { adamUpdate } from "./adam.ts";
import { batchMatMul } from "./batch-matmul.ts";
import { batchNormTrainGradKernel, batchNormTrainKernel, installFusedBatchNorm, registerBatchNormGradient } from "./batch-norm.ts";
import { cast } from "./cast.ts";
import { conv2DBackpropFilter } from "./conv2d-backprop-filter.ts";
import { conv2DBackpropInput } from "./conv2d-backprop-input.ts";
import { conv2D, fusedConv2D, installPlainConv2d } from "./conv2d.ts";
import { denseGradKernel, denseKernel, installFusedDense, registerDenseGradient } from "./dense.ts";
import { gatherV2 } from "./gather-v2.ts";
import { identity } from "./identity.ts";
import { gruSequenceGradKernel, gruSequenceKernel, registerGruGradient } from "./gru.ts";
import { accuracyKernel, crossEntropyGradKernel, crossEntropyKernel, registerLossGradients, squaredErrorGradKernel, squaredErrorKernel } from "./losses.ts";
import { lstmSequenceGradKernel, lstmSequenceKernel, registerLstmGradient } from "./lstm.ts";
import { installFusedMasking, maskingKernel, maskRowsKernel, registerMaskingGradient } from "./masking.ts";
import { maxPoolGrad } from "./max-pool-grad.ts";
import { notEqual } from "./not-equal.ts";
import { installFusedPenalty, penaltyGradKernel, penaltyKernel, registerPenaltyGradient } from "./penalty.ts";
import { reverse } from "./reverse.ts";
import { installFusedRnns } from "./rnn-layer.ts";
import { slice } from "./slice.ts";
import { splitV } from "./split-v.ts";
import { tanh } from "./tanh.ts";
import { registerStandardizeGradient, standardizeKernel } from "./standardize.ts";
import { mean, sum } from "./sum.ts";
import { tile } from "./tile.ts";
import { transpose } from "./transpose.ts";
import { unpack } from "./unpack.ts";
import type { ClaveKernel, Tf, WasmKernelFunc } from "./wasm.ts";

export type { ClaveKernel } from "./wasm.ts";

/** Every clave kernel, in registration order. */
export const CLAVE_KERNELS: readonly ClaveKernel[] = [
  batchMatMul,
  conv2DBackpropFilter,
  conv2DBackpropInput,
  conv2D,
  fusedConv2D,
  maxPoolGrad,
  sum,
  mean,
  gatherV2,
  tile,
  reverse,
  transpose,
  notEqual,
  slice,
  unpack,
  splitV,
  identity,
  cast,
  lstmSequenceKernel,
  lstmSequenceGradKernel,
  gruSequenceKernel,
  gruSequenceGradKernel,
  adamUpdate,
  denseKernel,
  denseGradKernel,
  crossEntropyKernel,
  crossEntropyGradKernel,
  squaredErrorKernel,
  squaredErrorGradKernel,
  accuracyKernel,
  standardizeKernel,
  penaltyKernel,
  penaltyGradKernel,
  maskRowsKernel,
  maskingKernel,
  tanh,
  batchNormTrainKernel,
  batchNormTrainGradKernel,
];

const BACKEND = "wasm";

type KernelConfig = ReturnType<Tf["getKernel"]> & object;

/** A registered clave kernel keeps the stock config it replaced (undefined when it added a new one). */
interface Marked {
  claveStock?: KernelConfig | undefined;
  claveKernel: true;
}

function marked(config: KernelConfig | undefined): (KernelConfig["kernelFunc"] & Marked) | undefined {
  const func = config?.kernelFunc as (KernelConfig["kernelFunc"] & Partial<Marked>) | undefined;
  return func?.claveKernel ? (func as KernelConfig["kernelFunc"] & Marked) : undefined;
}

/** The stock kernel config of `name` for wasm, whether or not clave's replaced it. */
function stockConfig(tf: Tf, name: string): KernelConfig | undefined {
  const config = tf.getKernel(name, BACKEND);
  if (config === undefined) return undefined;
  const mine = marked(config);
  return mine ? mine.claveStock : config;
}

/**
 * Register clave's wasm kernels (after `@tensorflow/tfjs-backend-wasm` is imported), or only those
 * named in `only`. Returns the names of the kernels now active; empty when `CLAVE_KERNELS=0` or the
 * wasm backend is not loaded.
 */
export function registerClaveKernels(tf: Tf, only?: readonly string[]): string[] {
  if (process.env.CLAVE_KERNELS === "0") return [];
  // The stock wasm kernels register when the backend package is imported; without them, nothing to do.
  if (tf.getKernel("BatchMatMul", BACKEND) === undefined) return [];
  const stock = (name: string): WasmKernelFunc | undefined => stockConfig(tf, name)?.kernelFunc as WasmKernelFunc | undefined;
  for (const kernel of CLAVE_KERNELS) {
    if (only && !only.includes(kernel.kernelName)) continue;
    const current = tf.getKernel(kernel.kernelName, BACKEND);
    if (!marked(current)) {
      const func = Object.assign(kernel.make(tf, stock), { claveKernel: true as const, claveStock: current });
      if (current) tf.unregisterKernel(kernel.kernelName, BACKEND);
      // Keep the stock setup/dispose: they bind the wasm functions the stock kernels (and ours) call.
      tf.registerKernel({
        kernelName: kernel.kernelName,
        backendName: BACKEND,
        kernelFunc: func as unknown as KernelConfig["kernelFunc"],
        ...(current?.setupFunc ? { setupFunc: current.setupFunc } : {}),
        ...(current?.disposeFunc ? { disposeFunc: current.disposeFunc } : {}),
      });
    }
  }
  // The fused RNN kernels' gradients, and tfjs-layers' LSTM/GRU routed to them (each call checks
  // that its kernel is registered, so unregistering falls back to the stock layer code).
  registerLstmGradient(tf);
  registerGruGradient(tf);
  registerDenseGradient(tf);
  registerLossGradients(tf);
  registerStandardizeGradient(tf);
  registerPenaltyGradient(tf);
  registerMaskingGradient(tf);
  registerBatchNormGradient(tf);
  installFusedRnns(tf);
  installFusedDense(tf);
  installFusedPenalty(tf);
  installFusedMasking(tf);
  installFusedBatchNorm(tf);
  installPlainConv2d(tf);
  return activeClaveKernels(tf);
}

/** Put the stock wasm kernels back (clave's added kernels are removed). */
export function unregisterClaveKernels(tf: Tf): void {
  for (const kernel of CLAVE_KERNELS) {
    const current = tf.getKernel(kernel.kernelName, BACKEND);
    const mine = marked(current);
    if (!mine) continue;
    tf.unregisterKernel(kernel.kernelName, BACKEND);
    if (mine.claveStock) tf.registerKernel(mine.claveStock);
  }
}

/** Names of the clave kernels registered for wasm right now. */
export function activeClaveKernels(tf: Tf): string[] {
  return CLAVE_KERNELS.filter((k) => marked(tf.getKernel(k.kernelName, BACKEND))).map((k) => k.kernelName);
}
