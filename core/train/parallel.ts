/**
 * Data-parallel training on several threads, the way PyTorch's DistributedDataParallel trains on
 * several processes: each of `workers − 1` worker threads holds a replica of the network; every step
 * the batch is cut into `workers` parts, the calling thread takes the gradients of the first part
 * and each worker those of one other part, at the same time; the gradients are averaged, weighted
 * by the parts' sizes (so the step is the whole batch's mean-loss gradient), and the optimizer
 * applies them once, on the calling thread. The weights go to the workers before each step.
 *
 * tfjs's wasm backend computes on one thread (its threaded build starts workers from `blob:` URLs,
 * which Node's worker_threads refuse), so this is how training uses more cores.
 *
 * What differs from one thread: batch normalisation normalises each part by its own statistics
 * (as DistributedDataParallel without SyncBatchNorm; the moving averages kept are the calling
 * thread's), and each worker draws its dropout masks from its own seeded stream. A run is
 * reproducible for a given seed and number of workers.
 *
 * Data moves through SharedArrayBuffers (weights, each worker's part of the batch and its
 * gradients); messages only say "step" and "done". Every wait is bounded (`timeoutMs`).
 */
import type * as TF from "@tensorflow/tfjs";
import { Worker } from "node:worker_threads";
import { libraryEntryUrl } from "../entry.ts";
import { ClaveError } from "../errors.ts";
import type { OutputLoss } from "./fit.ts";
import type { StepValues } from "./step.ts";
import { ownValuesOf, valuesOf } from "./tensor-values.ts";

type Tf = typeof TF;

/** What a training worker is started with. */
export interface TrainWorkerData {
  /** The running clave's library entry (it exports `runTrainWorker`). */
  readonly entryUrl: string;
  /** tfjs backend to use (the calling thread's). */
  readonly backend: string;
  /** Seed of the worker's Math.random (dropout masks). */
  readonly seed: number;
  /** The network's topology (`network.toJSON(null, false)`). */
  readonly topology: unknown;
  /** Every weight of the network, in `network.weights` order, concatenated. */
  readonly weights: Float32Array;
  readonly weightShapes: readonly number[][];
}

/** A phase as a worker sets it up. */
export interface TrainPhaseMessage {
  readonly type: "phase";
  /** Names of the layers this phase trains. */
  readonly trainable: readonly string[];
  readonly losses: readonly OutputLoss[];
  readonly classWeights: readonly number[] | null;
  readonly exampleShape: readonly number[];
  /**
   * Every layer's weights as the phase starts (the last step's update, or the best epoch restored,
   * happened after the workers last copied them): per layer name, `layer.getWeights()` concatenated.
   */
  readonly layerWeights: Readonly<Record<string, Float32Array>>;
  /** Sizes of the trainable variables, in order (checked against the replica's). */
  readonly variableSizes: readonly number[];
  /** Floats per example of each target. */
  readonly targetSizes: readonly number[];
  readonly weights: SharedArrayBuffer;
  readonly grads: SharedArrayBuffer;
  readonly x: SharedArrayBuffer;
  readonly targets: readonly SharedArrayBuffer[];
  /** [0]: the step the calling thread has written; [1]: the step this worker has written. */
  readonly control: SharedArrayBuffer;
}

export interface TrainStepMessage {
  readonly type: "step";
  readonly step: number;
  /** Examples of this worker's part. */
  readonly m: number;
}

export type TrainWorkerReply =
  | { readonly type: "ready" }
  | { readonly type: "phase-ready" }
  | { readonly type: "done"; readonly step: number; readonly values: StepValues }
  | { readonly type: "fatal"; readonly reason: string; readonly stack?: string };

/** Default bound of any wait on a worker: a step of a large network on a slow machine takes seconds. */
export const WORKER_TIMEOUT_MS = 600_000;

const BOOTSTRAP = `
const { workerData, parentPort } = require("node:worker_threads");
import(workerData.entryUrl).then((m) => m.runTrainWorker()).catch((e) => {
  parentPort.postMessage({ type: "fatal", reason: String(e && e.message || e), stack: String(e && e.stack || e) });
});
`;

/** Sizes of `workers` parts of `m` examples, as even as possible, the larger ones first. */
export function partSizes(m: number, workers: number): number[] {
  const base = Math.floor(m / workers);
  const extra = m % workers;
  return Array.from({ length: workers }, (_, i) => base + (i < extra ? 1 : 0));
}

interface Replica {
  readonly worker: Worker;
  /** The reply awaited, if any. */
  pending?: { type: TrainWorkerReply["type"]; resolve: (reply: TrainWorkerReply) => void; reject: (error: Error) => void; timer: ReturnType<typeof setTimeout> };
  failure?: Error;
  grads?: Float32Array;
  x?: Float32Array;
  targets?: Float32Array[];
  control?: Int32Array;
}

/** The workers of one data-parallel fit (the calling thread is part 0). */
export class DataParallel {
  private weights?: Float32Array;
  private variables: TF.Variable[] = [];
  private offsets: number[] = [];
  private targetSizes: number[] = [];
  private exampleSize = 0;
  private step = 0;

  private constructor(
    private readonly tf: Tf,
    private readonly replicas: Replica[],
    private readonly timeoutMs: number,
  ) {}

  /** Threads in all, the calling one included. */
  get size(): number {
    return this.replicas.length + 1;
  }

  /**
   * Start `workers − 1` replicas of `network` (its topology and current weights). Rejects with the
   * first worker's reason when a replica cannot be built (a layer the worker does not know, say).
   */
  static async start(tf: Tf, network: TF.LayersModel, options: { workers: number; seed: number; timeoutMs?: number }): Promise<DataParallel> {
    const timeoutMs = options.timeoutMs ?? WORKER_TIMEOUT_MS;
    const all = network.getWeights();
    const total = all.reduce((n, w) => n + w.size, 0);
    const weights = new Float32Array(total);
    let offset = 0;
    for (const w of all) {
      weights.set(w.dataSync() as Float32Array, offset);
      offset += w.size;
    }
    const topology = network.toJSON(null, false);
    const replicas: Replica[] = [];
    for (let i = 1; i < options.workers; i++) {
      const data: TrainWorkerData = {
        entryUrl: libraryEntryUrl(),
        backend: tf.getBackend(),
        seed: (options.seed + Math.imul(0x9e3779b9, i)) >>> 0,
        topology,
        weights,
        weightShapes: all.map((w) => w.shape),
      };
      // One thread per replica: the replicas are the parallelism (core/wasm-threads.ts would oversubscribe).
      replicas.push({ worker: new Worker(BOOTSTRAP, { eval: true, workerData: data, env: { ...process.env, CLAVE_THREADS: "1" } }) });
    }
    const parallel = new DataParallel(tf, replicas, timeoutMs);
    for (const [i, replica] of replicas.entries()) parallel.listen(replica, i + 1);
    try {
      await Promise.all(replicas.map((r, i) => parallel.expect(r, i + 1, "ready")));
    } catch (error) {
      await parallel.dispose();
      throw error;
    }
    return parallel;
  }

  private listen(replica: Replica, index: number): void {
    const fail = (error: Error) => {
      replica.failure ??= error;
      const pending = replica.pending;
      if (pending) {
        clearTimeout(pending.timer);
        replica.pending = undefined;
        pending.reject(replica.failure);
      }
    };
    replica.worker.on("message", (reply: TrainWorkerReply) => {
      if (reply.type === "fatal") {
        fail(new ClaveError(`training worker ${index}: ${reply.reason}`, { cause: reply.stack }));
        return;
      }
      const pending = replica.pending;
      if (!pending || pending.type !== reply.type) return;
      clearTimeout(pending.timer);
      replica.pending = undefined;
      pending.resolve(reply);
    });
    replica.worker.on("error", (error) => fail(new ClaveError(`training worker ${index} crashed: ${error.message}`, { cause: error })));
    replica.worker.on("exit", (code) => fail(new ClaveError(`training worker ${index} exited (code ${code})`)));
  }

  /** The next reply of `type` from `replica`, within the time limit. */
  private expect(replica: Replica, index: number, type: TrainWorkerReply["type"]): Promise<TrainWorkerReply> {
    if (replica.failure) return Promise.reject(replica.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        replica.pending = undefined;
        replica.failure ??= new ClaveError(`training worker ${index}: no "${type}" within ${this.timeoutMs / 1000} s`);
        reject(replica.failure);
        void replica.worker.terminate();
      }, this.timeoutMs);
      replica.pending = { type, resolve, reject, timer };
    });
  }

  /**
   * Set up a phase: which layers train, its losses, the shape of an example and of each target
   * (floats per example), and the largest part a worker will get.
   */
  async phase(
    network: TF.LayersModel,
    variables: TF.Variable[],
    setup: { losses: readonly OutputLoss[]; classWeights?: readonly number[]; exampleShape: readonly number[]; targetSizes: readonly number[]; batchSize: number },
  ): Promise<void> {
    this.variables = variables;
    this.offsets = [];
    let total = 0;
    for (const v of variables) {
      this.offsets.push(total);
      total += v.size;
    }
    this.targetSizes = [...setup.targetSizes];
    this.exampleSize = setup.exampleShape.reduce((a, b) => a * b, 1);
    const largest = Math.ceil(setup.batchSize / this.size);
    const weights = new SharedArrayBuffer(4 * total);
    this.weights = new Float32Array(weights);
    const floats = (n: number) => new SharedArrayBuffer(4 * Math.max(1, n));
    const layerWeights: Record<string, Float32Array> = {};
    for (const layer of network.layers) {
      const values = layer.getWeights();
      if (values.length === 0) continue;
      const all = new Float32Array(values.reduce((n, w) => n + w.size, 0));
      let offset = 0;
      for (const w of values) {
        all.set(w.dataSync() as Float32Array, offset);
        offset += w.size;
      }
      layerWeights[layer.name] = all;
    }
    await Promise.all(
      this.replicas.map((replica, i) => {
        const grads = floats(total);
        const x = floats(largest * this.exampleSize);
        const targets = this.targetSizes.map((size) => floats(largest * size));
        const control = new SharedArrayBuffer(8);
        replica.grads = new Float32Array(grads);
        replica.x = new Float32Array(x);
        replica.targets = targets.map((t) => new Float32Array(t));
        replica.control = new Int32Array(control);
        const message: TrainPhaseMessage = {
          type: "phase",
          trainable: network.layers.filter((l) => l.trainable).map((l) => l.name),
          layerWeights,
          losses: setup.losses.map((l) => ({ output: l.output, loss: l.loss, weight: l.weight })),
          classWeights: setup.classWeights ? [...setup.classWeights] : null,
          exampleShape: [...setup.exampleShape],
          variableSizes: variables.map((v) => v.size),
          targetSizes: this.targetSizes,
          weights,
          grads,
          x,
          targets,
          control,
        };
        const reply = this.expect(replica, i + 1, "phase-ready");
        replica.worker.postMessage(message);
        return reply;
      }),
    );
  }

  /**
   * One step on `m` examples: `x` holds them (`m` × example floats), `targets` each output's
   * targets; `local(rows)` takes the gradients of the calling thread's part (rows [0, rows)).
   * Returns the gradients averaged over the whole batch (one tensor per variable, the caller
   * disposes them) and the batch's loss and metrics.
   */
  async gradients(
    x: Float32Array,
    targets: readonly Float32Array[],
    m: number,
    local: (rows: number) => { grads: TF.Tensor[]; values: StepValues },
  ): Promise<{ grads: TF.Tensor[]; values: StepValues }> {
    const tf = this.tf;
    const weights = this.weights;
    if (!weights) throw new Error("DataParallel.gradients: no phase set up");
    const step = ++this.step;
    const parts = partSizes(m, this.size);
    this.variables.forEach((v, i) => weights.set(valuesOf(tf, v), this.offsets[i]));
    // The workers with rows this step, each with its rows' share of the batch.
    const working: { replica: Replica; share: number; reply: Promise<TrainWorkerReply> }[] = [];
    let start = parts[0];
    this.replicas.forEach((replica, i) => {
      const rows = parts[i + 1];
      if (rows > 0) {
        replica.x!.set(x.subarray(start * this.exampleSize, (start + rows) * this.exampleSize));
        this.targetSizes.forEach((size, t) => replica.targets![t].set(targets[t].subarray(start * size, (start + rows) * size)));
        // Orders the writes above before the worker's reads (it loads this first).
        Atomics.store(replica.control!, 0, step);
        const reply = this.expect(replica, i + 1, "done");
        const message: TrainStepMessage = { type: "step", step, m: rows };
        replica.worker.postMessage(message);
        working.push({ replica, share: rows / m, reply });
      }
      start += rows;
    });
    const own = local(parts[0]);
    let done: TrainWorkerReply[];
    try {
      done = await Promise.all(working.map((w) => w.reply));
    } catch (error) {
      tf.dispose(own.grads);
      throw error;
    }
    // Σ_j (m_j / m) of each part's loss, metrics and gradients: the whole batch's mean, as on one thread.
    const share0 = parts[0] / m;
    const values: StepValues = {
      loss: share0 * own.values.loss,
      outputs: own.values.outputs.map((v) => share0 * v),
      acc: share0 * own.values.acc,
    };
    working.forEach(({ replica, share }, j) => {
      if (Atomics.load(replica.control!, 1) !== step) throw new ClaveError(`training worker: step ${step} answered without its gradients`);
      const reply = done[j] as Extract<TrainWorkerReply, { type: "done" }>;
      values.loss += share * reply.values.loss;
      reply.values.outputs.forEach((v, k) => (values.outputs[k] += share * v));
      values.acc += share * reply.values.acc;
    });
    // Each sum rounded to float32 after every part, in the same order in place or not.
    const grads = this.variables.map((v, i) => {
      const offset = this.offsets[i];
      // Where the calling thread's gradient alone holds its heap data the sum goes there, else into a copy.
      const mine = ownValuesOf(tf, own.grads[i]);
      const sum = mine ?? Float32Array.from(own.grads[i].dataSync() as Float32Array);
      working.forEach(({ replica, share }, j) => {
        const g = replica.grads!;
        if (j === 0) for (let k = 0; k < sum.length; k++) sum[k] = Math.fround(share0 * sum[k]) + share * g[offset + k];
        else for (let k = 0; k < sum.length; k++) sum[k] += share * g[offset + k];
      });
      if (working.length === 0) for (let k = 0; k < sum.length; k++) sum[k] = share0 * sum[k];
      if (mine) return own.grads[i];
      own.grads[i].dispose();
      return tf.tensor(sum, v.shape);
    });
    return { grads, values };
  }

  /** Stop the workers. */
  async dispose(): Promise<void> {
    await Promise.all(
      this.replicas.map(async (r) => {
        if (r.pending) clearTimeout(r.pending.timer);
        r.pending = undefined;
        r.failure ??= new ClaveError("training workers stopped");
        await r.worker.terminate();
      }),
    );
  }
}
