/**
 * Shared by the kernel tests that compare clave's wasm kernels with tfjs's cpu backend: run a
 * function's ops on one backend, noting which of the watched wasm kernels ran, and compare outputs.
 */
import { afterAll, beforeAll, expect } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import { registerClaveKernels } from "../../core/kernels/index.ts";

export type Outputs = { data: Float32Array; shape: number[] }[];

/**
 * `f`'s outputs on `backend` (inputs made inside `f`), and which of the `watched` kernels ran (wasm
 * only). `tidy`: run `f` in a tidy scope (off where `f` builds layers that outlive it).
 */
export async function on(
  backend: "wasm" | "cpu",
  watched: readonly string[],
  f: () => tf.Tensor[],
  { tidy = true }: { tidy?: boolean } = {},
): Promise<{ outputs: Outputs; ran: Set<string> }> {
  await tf.setBackend(backend);
  const ran = new Set<string>();
  const restore: (() => void)[] = [];
  if (backend === "wasm") {
    for (const name of watched) {
      const config = tf.getKernel(name, "wasm");
      if (!config) continue;
      tf.unregisterKernel(name, "wasm");
      tf.registerKernel({ ...config, kernelFunc: (a) => (ran.add(name), config.kernelFunc(a)) });
      restore.push(() => {
        tf.unregisterKernel(name, "wasm");
        tf.registerKernel(config);
      });
    }
  }
  try {
    const list = tidy ? tf.tidy(f) : f();
    const outputs = list.map((t) => ({ data: Float32Array.from(t.dataSync() as Float32Array), shape: t.shape }));
    tf.dispose(list);
    return { outputs, ran };
  } finally {
    for (const r of restore) r();
  }
}

/** Each output equals the reference's: |a − r| ≤ rtol·(|r| + max|r|), same shapes. */
export function expectClose(actual: Outputs, reference: Outputs, rtol = 1e-5): void {
  expect(actual.length).toBe(reference.length);
  reference.forEach((c, i) => {
    expect(actual[i].shape).toEqual(c.shape);
    let scale = 0;
    for (const v of c.data) scale = Math.max(scale, Math.abs(v));
    for (let j = 0; j < c.data.length; j++) {
      const w = actual[i].data[j];
      if (!(Math.abs(w - c.data[j]) <= rtol * (Math.abs(c.data[j]) + scale))) {
        throw new Error(`output ${i} differs at ${j}: ${w} vs reference ${c.data[j]} (max |reference| ${scale})`);
      }
    }
  });
}

/** The calling test file runs on the wasm backend with clave's kernels; the backend before is restored after. */
export function onWasmWithClaveKernels(): void {
  let original: string | undefined;
  beforeAll(async () => {
    original = tf.getBackend() || undefined;
    await tf.setBackend("wasm");
    registerClaveKernels(tf);
  });
  afterAll(async () => {
    if (original) await tf.setBackend(original);
  });
}
