/**
 * `CLAVE_THREADS` (core/wasm-threads.ts): the wasm backend's thread pool on Bun and Node. Each case
 * runs in a child process, since a process sets its backend up once.
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, tempDir } from "../helpers.ts";
import { wantedThreads } from "../../core/wasm-threads.ts";

interface Probe {
  backend: string;
  threads: number;
  skipped: Record<string, string>;
  conv: number[];
  product: number[];
  lstm: number[];
  loss: number[];
}

/** A convolution, a product, a fused-kernel LSTM and a short cnn2d fit, from deterministic inputs. */
const PROBE = `
const clave = await import(process.env.PROBE_ENTRY);
const tf = await clave.loadTf();
const info = await clave.backendInfo();
const filled = (seed, shape) => {
  let a = seed;
  const n = shape.reduce((x, y) => x * y, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) { a = (a * 1103515245 + 12345) % 2147483648; out[i] = a / 2147483648 - 0.5; }
  return out;
};
const conv = tf.conv2d(tf.tensor(filled(1, [4, 20, 16, 8]), [4, 20, 16, 8]), tf.tensor(filled(2, [3, 3, 8, 12]), [3, 3, 8, 12]), 1, "same");
const product = tf.matMul(tf.tensor(filled(3, [300, 70]), [300, 70]), tf.tensor(filled(4, [70, 50]), [70, 50]));
const lstm = tf.layers.lstm({ units: 6, returnSequences: false, kernelInitializer: "ones", recurrentInitializer: "zeros" });
const seq = lstm.apply(tf.tensor(filled(5, [3, 7, 4]), [3, 7, 4]));
const plugin = clave.builtinPlugins.find((p) => p.name === "cnn2d");
const params = clave.resolveParams(plugin, { filters: [4, 8], dense_units: 8, dropout: 0, block_dropout: 0, epochs: 2, batch_size: 8 });
const model = await plugin.build({ inputShape: [16, 12], nClasses: 3, seed: 1 }, params);
const n = 24;
const history = await plugin.fit(model, { x: clave.ndarray(filled(6, [n, 16, 12]), [n, 16, 12]), y: Int32Array.from({ length: n }, (_, i) => i % 3) }, { seed: 1, progress: false });
console.log(JSON.stringify({ backend: tf.getBackend(), threads: info.threads, skipped: info.skipped, conv: Array.from(conv.dataSync()), product: Array.from(product.dataSync()), lstm: Array.from(seq.dataSync()), loss: history.loss }));
`;

function probe(runtime: "bun" | "node", threads: string): { status: number | null; stderr: string; result?: Probe } {
  const dir = tempDir("clave-threads-");
  const file = join(dir, "probe.mjs");
  writeFileSync(file, PROBE);
  const entry = runtime === "bun" ? join(ROOT, "index.ts") : join(ROOT, "dist/esm/index.js");
  const command = runtime === "bun" ? process.execPath : "node";
  // Bounded: a pool whose workers kept the process alive would hang here.
  const run = spawnSync(command, [file], {
    cwd: dir,
    encoding: "utf8",
    timeout: 180_000,
    env: { ...process.env, CLAVE_BACKEND: "wasm", CLAVE_THREADS: threads, PROBE_ENTRY: entry },
  });
  const last = run.stdout.trim().split("\n").at(-1);
  return { status: run.status, stderr: run.stderr, ...(run.status === 0 && last ? { result: JSON.parse(last) as Probe } : {}) };
}

describe("CLAVE_THREADS", () => {
  test("reads a positive integer or auto (every core, at most 8); unset is one thread; anything else is refused", () => {
    expect(wantedThreads(undefined)).toBe(1);
    expect(wantedThreads("")).toBe(1);
    expect(wantedThreads("2")).toBe(2);
    expect(wantedThreads("64")).toBe(8);
    expect(wantedThreads("auto", 2)).toBe(2);
    expect(wantedThreads("auto", 32)).toBe(8);
    for (const bad of ["0", "-1", "1.5", "two"]) expect(() => wantedThreads(bad)).toThrow(`CLAVE_THREADS=${bad}: expected a positive integer or auto`);
  });

  for (const runtime of ["bun", "node"] as const) {
    test(`${runtime}: 2 threads start, give one thread's results, and let the process exit`, () => {
      if (runtime === "node" && !existsSync(join(ROOT, "dist/esm/index.js"))) spawnSync(process.execPath, ["scripts/build.ts"], { cwd: ROOT, timeout: 120_000 });
      const one = probe(runtime, "1");
      const two = probe(runtime, "2");
      expect(one.stderr).not.toContain("Error");
      expect(two.stderr).not.toContain("Error");
      expect(one.status).toBe(0);
      expect(two.status).toBe(0);
      expect(one.result!.threads).toBe(1);
      expect(two.result!.threads).toBe(2);
      expect(two.result!.skipped).toEqual({});
      expect(two.result!.backend).toBe("wasm");
      // Each output is summed in the same order on one thread and on two: equal, not close.
      expect(two.result!.conv).toEqual(one.result!.conv);
      expect(two.result!.product).toEqual(one.result!.product);
      expect(two.result!.lstm).toEqual(one.result!.lstm);
      // clave's small SIMD modules (Adam, batch norm) bind to the one-thread build's memory; on the
      // threaded build's shared memory their JavaScript loops run instead: the same to float rounding.
      two.result!.loss.forEach((v, i) => expect(v).toBeCloseTo(one.result!.loss[i], 5));
      expect(one.result!.conv.length).toBe(4 * 20 * 16 * 12);
    }, 400_000);
  }

  test("a value that is not a count stops the backend with an error naming the variable", () => {
    const run = probe("bun", "many");
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("CLAVE_THREADS=many: expected a positive integer or auto");
  }, 120_000);
});
