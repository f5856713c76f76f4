/**
 * The compute backend, chosen in one place: tfjs-node-gpu, then tfjs-node, then wasm. The `cpu`
 * backend (about 100x slower) only when asked for. `CLAVE_BACKEND` forces one of
 * `node-gpu | node | wasm | cpu`; `CLAVE_THREADS=N` (or `auto`) runs the wasm backend's convolutions and
 * products on N threads (core/wasm-threads.ts). tfjs-node and tfjs-node-gpu are optional dependencies: any error
 * loading them falls through to the next candidate, and the reason is kept for `clave doctor`.
 */
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as TF from "@tensorflow/tfjs";
import { BackendError } from "./errors.ts";
import { registerClaveKernels } from "./kernels/index.ts";
import { registerThreadedWasm, wantedThreads, wasmThreads } from "./wasm-threads.ts";

export type BackendChoice = "node-gpu" | "node" | "wasm" | "cpu";
export const BACKEND_CHOICES: readonly BackendChoice[] = ["node-gpu", "node", "wasm", "cpu"];

export interface BackendInfo {
  /** The candidate that came up. */
  readonly choice: BackendChoice;
  /** `tf.getBackend()` after setup: `tensorflow`, `wasm` or `cpu`. */
  readonly tfBackend: string;
  readonly tfjsVersion: string;
  /** Whether the wasm backend runs with SIMD (wasm only). */
  readonly simd?: boolean;
  /** Threads of the wasm backend's pool (`CLAVE_THREADS`; 1 by default), wasm only. */
  readonly threads?: number;
  /** clave's own wasm kernels now registered (core/kernels/), wasm only. */
  readonly kernels?: readonly string[];
  /** Why each candidate tried before this one did not come up. */
  readonly skipped: Readonly<Record<string, string>>;
}

type Tf = typeof TF;

/**
 * Import a tfjs-node package only when its native binding was installed. Where npm skipped or failed
 * its install script the JavaScript is there without its `tfjs_binding.node` under `lib/napi-v<N>`, and importing it
 * would register ~150 kernels for a backend that can never start (and print a warning for each).
 */
async function loadNative(name: string): Promise<unknown> {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
  } catch {
    throw new Error(`${name} is not installed`);
  }
  const lib = join(dir, "lib");
  const bound = existsSync(lib) && readdirSync(lib).some((d) => d.startsWith("napi-v") && existsSync(join(lib, d, "tfjs_binding.node")));
  if (!bound) throw new Error(`${name} is installed without its native binding (its install script did not run or failed)`);
  return import(name);
}

const CANDIDATES: Record<BackendChoice, { tfName: string; load: () => Promise<unknown> }> = {
  "node-gpu": { tfName: "tensorflow", load: () => loadNative("@tensorflow/tfjs-node-gpu") },
  node: { tfName: "tensorflow", load: () => loadNative("@tensorflow/tfjs-node") },
  wasm: { tfName: "wasm", load: () => import("@tensorflow/tfjs-backend-wasm") },
  cpu: { tfName: "cpu", load: async () => undefined },
};

let ready: Promise<{ tf: Tf; info: BackendInfo }> | undefined;

function forcedChoice(): BackendChoice | undefined {
  const forced = process.env.CLAVE_BACKEND?.trim();
  if (!forced) return undefined;
  if (!BACKEND_CHOICES.includes(forced as BackendChoice)) {
    throw new BackendError(`CLAVE_BACKEND=${forced}: expected one of ${BACKEND_CHOICES.join(", ")}`);
  }
  return forced as BackendChoice;
}

async function tryBackend(tf: Tf, choice: BackendChoice, skipped: Record<string, string>): Promise<string | undefined> {
  const candidate = CANDIDATES[choice];
  try {
    await candidate.load();
    const threads = choice === "wasm" ? wantedThreads() : 1;
    if (threads > 1) {
      // A pool that cannot start leaves the one-thread backend, and says why (clave doctor).
      try {
        await registerThreadedWasm(tf, threads);
      } catch (error) {
        skipped["wasm threads"] = (error as Error).message.split("\n")[0];
      }
    }
    // setBackend can resolve false, or true while staying on cpu: check what actually runs.
    const ok = await tf.setBackend(candidate.tfName);
    await tf.ready();
    if (!ok || tf.getBackend() !== candidate.tfName) return `setBackend("${candidate.tfName}") left ${tf.getBackend()}`;
    return undefined;
  } catch (error) {
    return (error as Error).message.split("\n")[0];
  }
}

async function setup(): Promise<{ tf: Tf; info: BackendInfo }> {
  const tf = (await import("@tensorflow/tfjs")) as Tf;
  const forced = forcedChoice();
  const order: BackendChoice[] = forced ? [forced] : ["node-gpu", "node", "wasm"];
  const skipped: Record<string, string> = {};
  for (const choice of order) {
    const failure = await tryBackend(tf, choice, skipped);
    if (failure === undefined) {
      const wasm = choice === "wasm";
      const info: BackendInfo = {
        choice,
        tfBackend: tf.getBackend(),
        tfjsVersion: tf.version.tfjs,
        ...(wasm
          ? {
              simd: Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")),
              threads: wasmThreads(tf),
              kernels: registerClaveKernels(tf),
            }
          : {}),
        skipped,
      };
      return { tf, info };
    }
    skipped[choice] = failure;
  }
  const reasons = Object.entries(skipped)
    .map(([k, v]) => `${k}: ${v}`)
    .join("; ");
  throw new BackendError(`no compute backend came up (${reasons})${forced ? "" : "; CLAVE_BACKEND=cpu forces the slow cpu backend"}`);
}

/** TensorFlow.js with the chosen backend ready. Set up once per process. */
export async function loadTf(): Promise<Tf> {
  return (await backendReady()).tf;
}

/** The chosen backend and why the ones before it were skipped. */
export async function backendInfo(): Promise<BackendInfo> {
  return (await backendReady()).info;
}

function backendReady(): Promise<{ tf: Tf; info: BackendInfo }> {
  ready ??= setup().catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  return ready;
}
