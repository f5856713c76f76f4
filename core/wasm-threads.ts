/**
 * tfjs's wasm backend with a thread pool, on Node and Bun (`CLAVE_THREADS`).
 *
 * tfjs-backend-wasm ships a threaded build, in which XNNPACK splits its convolutions and matrix
 * products over a pthread pool, but starts it only in browsers: its loader hands Emscripten's
 * workers `blob:` URLs, which Node's worker_threads cannot start, and it sizes the pool at half the
 * logical cores (one thread on a 2-core machine). Here the threaded module is started the way
 * Emscripten starts it on Node — its worker script from a file (written once to a temporary folder),
 * its main script by path — with the pool sized as asked, then registered as the `wasm` backend, so
 * every kernel (tfjs's and clave's) runs on it. Measured on 2 cores: a 3×3 convolution and a large
 * product 1.7x faster. Each product's rows are split among the threads, each output summed in the
 * same order as on one thread, so results are unchanged. Elementwise kernels and clave's JavaScript
 * loops stay on the calling thread.
 *
 * Deno starts workers as ES modules, where Emscripten's CommonJS worker script cannot run: there the
 * backend stays on one thread.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type * as TF from "@tensorflow/tfjs";
import { BackendError } from "./errors.ts";

type Tf = typeof TF;

/** Threads Emscripten's build of tfjs-backend-wasm starts its pool with (its PTHREAD_POOL_SIZE). */
export const MAX_WASM_THREADS = 8;

/** The threads `CLAVE_THREADS` asks for: a positive integer, or `auto` (every core, at most 8); 1 when unset. */
export function wantedThreads(value = process.env.CLAVE_THREADS, cores = availableParallelism()): number {
  const text = value?.trim();
  if (!text) return 1;
  if (text === "auto") return Math.max(1, Math.min(MAX_WASM_THREADS, cores));
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new BackendError(`CLAVE_THREADS=${text}: expected a positive integer or auto`);
  return Math.min(MAX_WASM_THREADS, n);
}

interface EmscriptenWorker {
  unref(): void;
}

interface ThreadedModule {
  cwrap(name: string, returns: string | null, args: string[]): (...args: number[]) => number;
  PThread?: { runningWorkers: EmscriptenWorker[]; unusedWorkers: EmscriptenWorker[] };
  tfjs?: Record<string, (...args: number[]) => number>;
}

type Factory = (config: Record<string, unknown>) => Promise<ThreadedModule>;

let workerScript: string | undefined;

/** The Emscripten worker script as a file (Node's workers start from files). Removed when the process exits. */
function workerScriptFile(contents: string): string {
  if (workerScript) return workerScript;
  const dir = mkdtempSync(join(tmpdir(), "clave-wasm-"));
  const file = join(dir, "tfjs-backend-wasm-threaded-simd.worker.js");
  // As tfjs does before making its blob: a "\n" inside the script's strings must stay an escape.
  writeFileSync(file, contents.replace(/\n/g, "\\n"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  workerScript = file;
  return file;
}

/**
 * Register the threaded wasm module as tfjs's `wasm` backend with `threads` threads (call before
 * `tf.setBackend("wasm")`). Throws where threads cannot start.
 */
export async function registerThreadedWasm(tf: Tf, threads: number): Promise<void> {
  if ("Deno" in globalThis) throw new BackendError("CLAVE_THREADS: Deno cannot start tfjs-backend-wasm's thread pool (its workers are CommonJS scripts)");
  const require = createRequire(import.meta.url);
  const wasmPackage = (await import("@tensorflow/tfjs-backend-wasm")) as unknown as {
    BackendWasm: new (module: unknown) => TF.KernelBackend;
    setThreadsCount(n: number): void;
  };
  const dir = join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "wasm-out");
  const factory = require(join(dir, "tfjs-backend-wasm-threaded-simd.js")) as Factory;
  const { wasmWorkerContents } = require(join(dir, "tfjs-backend-wasm-threaded-simd.worker.js")) as { wasmWorkerContents: string };
  const worker = workerScriptFile(wasmWorkerContents);
  // The module sizes its pool cap at half the logical cores it sees (os.cpus() on Node) when it starts.
  const os = require("node:os") as { cpus: () => unknown[] };
  const cpus = os.cpus;
  os.cpus = () => {
    const real = cpus.call(os);
    return Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]);
  };
  let module: ThreadedModule;
  try {
    module = await factory({
      locateFile: (path: string) => (path.endsWith(".worker.js") ? worker : join(dir, path)),
      mainScriptUrlOrBlob: join(dir, "tfjs-backend-wasm-threaded-simd.js"),
    });
  } finally {
    os.cpus = cpus;
  }
  // What tfjs's own loader adds to the module (backend_wasm.ts, init).
  module.tfjs = {
    init: module.cwrap("init", null, []),
    initWithThreadsCount: module.cwrap("init_with_threads_count", null, ["number"]),
    getThreadsCount: module.cwrap("get_threads_count", "number", []),
    registerTensor: module.cwrap("register_tensor", null, ["number", "number", "number"]),
    disposeData: module.cwrap("dispose_data", null, ["number"]),
    dispose: module.cwrap("dispose", null, []),
  };
  wasmPackage.setThreadsCount(threads);
  tf.removeBackend("wasm");
  tf.registerBackend(
    "wasm",
    () => {
      const backend = new wasmPackage.BackendWasm(module);
      // The pool's workers wait for work forever; they must not keep the process alive.
      for (const w of [...(module.PThread?.runningWorkers ?? []), ...(module.PThread?.unusedWorkers ?? [])]) w.unref();
      return backend;
    },
    2,
  );
}

/** Threads of the wasm backend's pool now running (1 for the single-threaded build). */
export function wasmThreads(tf: Tf): number {
  const backend = tf.backend() as unknown as { wasm?: { tfjs?: { getThreadsCount?: () => number } } };
  return backend.wasm?.tfjs?.getThreadsCount?.() ?? 1;
}
