/**
 * The arithmetic ceiling of one core (bench, not a test): `npx bun bench/gemm.ts`.
 *
 * The largest products of the benchmarked networks — cnn2d's second 3×3 convolution on a batch of
 * 32 (clave's column: its Conv2D kernel, KH·KW shifted-row products in that loop, core/kernels/conv-shifts.ts), the lstm's input projection, and the autoencoder's first dense layer on a batch of 32 with
 * its kernel new at every call, as in training — timed alone on tfjs's wasm backend (XNNPACK,
 * 128-bit wasm SIMD, one thread), in clave's own SIMD product (core/kernels/gemm-simd.ts: reads the
 * right operand in place, where XNNPACK first packs it) and in PyTorch (Debian's python3-torch, one
 * thread: oneDNN / BLAS with the CPU's own vector width and fused multiply-add), in GFLOP/s of
 * process CPU time. A network whose step is mostly such products cannot train faster than the best
 * wasm/torch ratio of PyTorch's speed on one core, whatever the rest of clave's step costs.
 */
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";

process.env.CLAVE_BACKEND = "wasm";
const { loadTf } = await import("../core/backend.ts");
const { simdProduct } = await import("../core/kernels/gemm-simd.ts");
type WasmBackend = import("../core/kernels/wasm.ts").WasmBackend;
type TensorInfo = import("../core/kernels/wasm.ts").TensorInfo;
const { registerClaveKernels, unregisterClaveKernels } = await import("../core/kernels/index.ts");
const tf = await loadTf();
if (tf.getBackend() !== "wasm") throw new Error(`bench/gemm.ts: backend is ${tf.getBackend()}, not wasm`);
// The XNNPACK column is tfjs's own kernels (clave's BatchMatMul would take the SIMD product).
unregisterClaveKernels(tf);

interface Shape {
  name: string;
  /** Floating-point operations of one call. */
  flop: number;
}
const CONV: Shape = { name: "conv 3x3 [32,65,64,32] -> 64", flop: 2 * 32 * 65 * 64 * 64 * 9 * 32 };
const GEMM: Shape = { name: "gemm [4160,417] x [417,512]", flop: 2 * 4160 * 417 * 512 };
const DENSE: Shape = { name: "dense [32,417] x new [417,256]", flop: 2 * 32 * 417 * 256 };

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** GFLOP/s of the best of `n` timed calls after two warm-up calls. */
function best(run: () => void, flop: number, n = 6): number {
  run();
  run();
  let fastest = Infinity;
  for (let i = 0; i < n; i++) {
    const t0 = cpuMs();
    run();
    fastest = Math.min(fastest, cpuMs() - t0);
  }
  return flop / (fastest / 1000) / 1e9;
}

const x = tf.randomNormal([32, 65, 64, 32]);
const w = tf.randomNormal([3, 3, 32, 64]);
const a = tf.randomNormal([4160, 417]);
const b = tf.randomNormal([417, 512]);
const d = tf.randomNormal([32, 417]);
const k = tf.randomNormal([417, 256]);
const backend = tf.backend() as unknown as WasmBackend;
const info = (t: import("@tensorflow/tfjs").Tensor): TensorInfo => ({ dataId: t.dataId as object, shape: t.shape, dtype: "float32" });
/** GFLOP/s of clave's SIMD product of `left`·`right`, or undefined where it cannot run. */
function claveProduct(left: import("@tensorflow/tfjs").Tensor, right: import("@tensorflow/tfjs").Tensor, flop: number): number | undefined {
  const [m, k, n] = [left.shape[0]!, left.shape[1]!, right.shape[1]!];
  let ran = true;
  const rate = best(() => {
    const out = backend.makeOutput([m, n], "float32");
    ran = simdProduct(backend, info(left), info(right), out, m, k, n);
    backend.disposeData(out.dataId);
  }, flop);
  return ran ? rate : undefined;
}
const conv = () => {
  const y = tf.conv2d(x as import("@tensorflow/tfjs").Tensor4D, w as import("@tensorflow/tfjs").Tensor4D, 1, "same");
  y.dataSync();
  y.dispose();
};
const clave: Record<"conv" | "gemm" | "dense", number | undefined> = { conv: undefined, gemm: claveProduct(a, b, GEMM.flop), dense: claveProduct(d, k, DENSE.flop) };
const wasm = {
  conv: best(conv, CONV.flop),
  gemm: best(() => {
    const y = tf.matMul(a, b);
    y.dataSync();
    y.dispose();
  }, GEMM.flop),
  dense: best(() => {
    // A new kernel tensor, as after every update in training (its copy is ~3% of the time).
    const fresh = tf.add(k, 0);
    const y = tf.matMul(d, fresh);
    y.dataSync();
    tf.dispose([y, fresh]);
  }, DENSE.flop, 50),
};
// clave's Conv2D kernel (shifted products) on the same convolution.
if (!registerClaveKernels(tf).includes("Conv2D")) throw new Error("bench/gemm.ts: clave's Conv2D kernel did not register");
clave.conv = best(conv, CONV.flop);
tf.dispose([x, w, a, b, d, k]);

const script = `
import json, time, torch
torch.set_num_threads(1)
x = torch.randn(32, 32, 65, 64); w = torch.randn(64, 32, 3, 3)
a = torch.randn(4160, 417); b = torch.randn(417, 512)
d = torch.randn(32, 417); k = torch.randn(417, 256)
def best(f, flop, n=6):
    f(); f()
    fastest = min((lambda t0: (f(), time.process_time() - t0)[1])(time.process_time()) for _ in range(n))
    return flop / fastest / 1e9
print(json.dumps({"conv": best(lambda: torch.nn.functional.conv2d(x, w, padding=1), ${CONV.flop}),
                  "gemm": best(lambda: a @ b, ${GEMM.flop}),
                  "dense": best(lambda: d @ k, ${DENSE.flop}, 50)}))
`;
const run = spawnSync("/usr/bin/python3", ["-c", script], {
  encoding: "utf8",
  env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
  timeout: 300_000,
});
if (run.status !== 0) throw new Error(`bench/gemm.ts: PyTorch failed: ${run.stderr}`);
const torch = JSON.parse(run.stdout.trim()) as { conv: number; gemm: number; dense: number };

console.log(`one thread each, GFLOP/s of CPU time (best of 6; dense: of 50); load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
console.log(`${"product".padEnd(32)}  ${"tfjs wasm (XNNPACK)".padStart(19)}  ${"clave SIMD".padStart(10)}  ${"PyTorch".padStart(8)}  ${"best wasm/torch".padStart(15)}`);
for (const [key, shape] of [["conv", CONV], ["gemm", GEMM], ["dense", DENSE]] as const) {
  const own = clave[key];
  const top = Math.max(wasm[key], own ?? 0);
  console.log(
    `${shape.name.padEnd(32)}  ${wasm[key].toFixed(1).padStart(19)}  ${(own === undefined ? "—" : own.toFixed(1)).padStart(10)}  ${torch[key].toFixed(1).padStart(8)}  ${(top / torch[key]).toFixed(2).padStart(15)}`,
  );
}
