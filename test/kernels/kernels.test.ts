/**
 * clave's wasm kernels against tfjs's `cpu` backend (the reference implementation) on random inputs,
 * and a small convolutional model training on wasm with them.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { activeClaveKernels, CLAVE_KERNELS, registerClaveKernels, unregisterClaveKernels } from "../../core/kernels/index.ts";
import { blockColumns } from "../../core/kernels/conv2d-backprop-filter.ts";
import { patchLimit } from "../../core/kernels/patches.ts";
import { mulberry32 } from "../../core/random.ts";
import { makeGemm } from "../../core/kernels/gemm-simd.ts";
import { repeatedProduct } from "../../core/kernels/rnn.ts";
import { onWasmWithClaveKernels } from "./backends.ts";
import type { TensorInfo, WasmBackend, WasmKernelFunc } from "../../core/kernels/wasm.ts";

const random = mulberry32(20240611);
function randn(shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return out;
}

/** Run `f` on a backend and return its outputs' values (inputs are made inside `f`, on that backend). */
async function on(backend: "wasm" | "cpu", f: () => tf.Tensor | tf.Tensor[]): Promise<{ data: Float32Array | Int32Array | Uint8Array; shape: number[] }[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => ({ data: t.dataSync() as Float32Array, shape: t.shape }));
  tf.dispose(list);
  return values;
}

/** wasm (with clave's kernels) equals cpu: |w − c| ≤ rtol·(|c| + max|c|) elementwise, same shapes. */
async function expectSameAsCpu(f: () => tf.Tensor | tf.Tensor[], rtol = 1e-4): Promise<void> {
  const wasm = await on("wasm", f);
  const cpu = await on("cpu", f);
  expect(wasm.length).toBe(cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    expect(wasm[i].shape).toEqual(cpu[i].shape);
    const c = cpu[i].data;
    const w = wasm[i].data;
    expect(w.length).toBe(c.length);
    let scale = 0;
    for (let j = 0; j < c.length; j++) scale = Math.max(scale, Math.abs(c[j]));
    let worst = 0;
    let at = -1;
    for (let j = 0; j < c.length; j++) {
      const excess = Math.abs(w[j] - c[j]) - rtol * (Math.abs(c[j]) + scale);
      if (!(excess <= worst)) {
        worst = Number.isNaN(excess) ? Number.POSITIVE_INFINITY : excess;
        at = j;
      }
    }
    if (at >= 0) throw new Error(`output ${i} differs at ${at}: wasm ${w[at]} vs cpu ${c[at]} (max |cpu| ${scale})`);
  }
}

onWasmWithClaveKernels();
beforeAll(() => {
  expect(tf.getBackend()).toBe("wasm");
});

describe("registration", () => {
  test("registers every kernel once, and unregistering restores the stock set", () => {
    const names = CLAVE_KERNELS.map((k) => k.kernelName);
    expect(registerClaveKernels(tf)).toEqual(names);
    expect(registerClaveKernels(tf)).toEqual(names);
    expect(activeClaveKernels(tf)).toEqual(names);
    const mine = tf.getKernel("BatchMatMul", "wasm")?.kernelFunc;
    unregisterClaveKernels(tf);
    expect(activeClaveKernels(tf)).toEqual([]);
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeUndefined();
    expect(tf.getKernel("BatchMatMul", "wasm")?.kernelFunc).not.toBe(mine);
    expect(registerClaveKernels(tf)).toEqual(names);
  });
});

describe("BatchMatMul", () => {
  const cases: [number[], number[]][] = [
    [[32, 417], [417, 64]],
    [[7, 5], [5, 3]],
    [[1, 9], [9, 1]],
    [[4, 7, 5], [4, 5, 3]],
    [[3, 7, 5], [5, 6]],
    [[1, 7, 5], [3, 5, 6]],
    [[2, 3, 4, 5], [2, 3, 5, 6]],
    [[6, 13, 1], [6, 1, 11]],
  ];
  for (const [aShape, bShape] of cases) {
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      test(`${JSON.stringify(aShape)} x ${JSON.stringify(bShape)} transposeA=${ta} transposeB=${tb}`, async () => {
        const swap = (s: number[], t: boolean) => (t ? [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]] : s);
        const sa = swap(aShape, ta);
        const sb = swap(bShape, tb);
        const a = randn(sa);
        const b = randn(sb);
        await expectSameAsCpu(() => tf.matMul(tf.tensor(a, sa), tf.tensor(b, sb), ta, tb));
      });
    }
  }

  test("a transposed b reused, reshaped, and replaced gives fresh results each time (transpose cache)", async () => {
    const w = randn([12, 10]);
    const w2 = randn([12, 10]);
    const xs = [randn([4, 10]), randn([4, 10]), randn([6, 10])];
    await expectSameAsCpu(() => {
      const weight = tf.tensor(w, [12, 10]);
      const outs = xs.map((x) => tf.matMul(tf.tensor(x, [x.length / 10, 10]), weight, false, true));
      // Same data viewed as [10, 12]: a different matrix, must not hit the [12, 10] entry.
      outs.push(tf.matMul(tf.tensor(xs[2].subarray(0, 48), [4, 12]), weight.reshape([10, 12]), false, true));
      return outs;
    });
    for (const values of [w, w2]) {
      await expectSameAsCpu(() => tf.matMul(tf.tensor(xs[0], [4, 10]), tf.tensor(values, [12, 10]), false, true));
    }
  });

  test("gradients of a matMul (the transposed products) match cpu", async () => {
    const a = randn([5, 8, 6]);
    const b = randn([5, 6, 4]);
    const c = randn([6, 4]);
    await expectSameAsCpu(() => {
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tf.matMul(x, y).square().sum().add(tf.matMul(x.reshape([40, 6]), z).square().sum()));
      return g([tf.tensor(a, [5, 8, 6]), tf.tensor(b, [5, 6, 4]), tf.tensor(c, [6, 4])]);
    });
  });
});

describe("Conv2DBackpropFilter", () => {
  type Case = { x: [number, number, number, number]; filter: [number, number, number, number]; strides: number | [number, number]; pad: "same" | "valid" | number };
  const cases: Case[] = [
    { x: [2, 9, 8, 3], filter: [3, 3, 3, 4], strides: 1, pad: "same" },
    { x: [3, 9, 8, 1], filter: [3, 3, 1, 5], strides: 2, pad: "same" },
    { x: [2, 10, 7, 2], filter: [3, 3, 2, 3], strides: 2, pad: "valid" },
    { x: [1, 12, 11, 4], filter: [5, 3, 4, 2], strides: [2, 1], pad: "same" },
    { x: [2, 6, 6, 3], filter: [2, 2, 3, 3], strides: 2, pad: "valid" },
    { x: [2, 7, 9, 2], filter: [3, 3, 2, 2], strides: 1, pad: 1 },
    { x: [4, 5, 20, 40], filter: [1, 3, 40, 8], strides: 1, pad: "same" },
  ];
  for (const c of cases) {
    test(`x ${JSON.stringify(c.x)} filter ${JSON.stringify(c.filter)} strides ${JSON.stringify(c.strides)} pad ${c.pad}`, async () => {
      const x = randn(c.x);
      const f = randn(c.filter);
      await expectSameAsCpu(() => {
        const g = tf.grads((xt: tf.Tensor, ft: tf.Tensor) => tf.conv2d(xt as tf.Tensor4D, ft as tf.Tensor4D, c.strides, c.pad).square().sum());
        return g([tf.tensor4d(x, c.x), tf.tensor4d(f, c.filter)]);
      });
    });
  }

  test("NCHW input", async () => {
    const x = randn([2, 3, 8, 7]);
    const dyShape = [2, 4, 4, 4];
    const dy = randn(dyShape);
    const attrs = { strides: [2, 2], pad: "same", dataFormat: "NCHW", filterShape: [3, 3, 3, 4] };
    await expectSameAsCpu(() => tf.engine().runKernel("Conv2DBackpropFilter", { x: tf.tensor(x, [2, 3, 8, 7]), dy: tf.tensor(dy, dyShape) }, attrs as never) as tf.Tensor);
  });

  test("NCHW dy for the input gradient", async () => {
    const dyShape = [2, 4, 4, 4];
    const dy = randn(dyShape);
    const f = randn([3, 3, 3, 4]);
    const attrs = { inputShape: [2, 3, 8, 7], strides: [2, 2], pad: "same", dataFormat: "NCHW" };
    await expectSameAsCpu(() => tf.engine().runKernel("Conv2DBackpropInput", { dy: tf.tensor(dy, dyShape), filter: tf.tensor(f, [3, 3, 3, 4]) }, attrs as never) as tf.Tensor);
  });

  test("a batch split into chunks and blocks gives the same sum", async () => {
    const saved = patchLimit.floats;
    const savedBlock = { ...blockColumns };
    patchLimit.floats = 500;
    Object.assign(blockColumns, { floats: 40, min: 1 });
    try {
      const x = randn([5, 8, 8, 2]);
      const dy = randn([5, 4, 4, 3]);
      const attrs = { strides: [2, 2], pad: "same", dataFormat: "NHWC", filterShape: [3, 3, 2, 3] };
      const f = randn([3, 3, 2, 3]);
      await expectSameAsCpu(() => tf.engine().runKernel("Conv2DBackpropFilter", { x: tf.tensor(x, [5, 8, 8, 2]), dy: tf.tensor(dy, [5, 4, 4, 3]) }, attrs as never) as tf.Tensor);
      const inputAttrs = { inputShape: [5, 8, 8, 2], strides: [2, 2], pad: "same", dataFormat: "NHWC" };
      await expectSameAsCpu(() => tf.engine().runKernel("Conv2DBackpropInput", { dy: tf.tensor(dy, [5, 4, 4, 3]), filter: tf.tensor(f, [3, 3, 2, 3]) }, inputAttrs as never) as tf.Tensor);
    } finally {
      patchLimit.floats = saved;
      Object.assign(blockColumns, savedBlock);
    }
  });

  test("conv1d gradients (a 2-D convolution of height 1)", async () => {
    const x = randn([3, 20, 6]);
    const f = randn([5, 6, 4]);
    for (const [stride, pad] of [
      [1, "same"],
      [2, "valid"],
    ] as const) {
      await expectSameAsCpu(() => {
        const g = tf.grads((xt: tf.Tensor, ft: tf.Tensor) => tf.conv1d(xt as tf.Tensor3D, ft as tf.Tensor3D, stride, pad).square().sum());
        return g([tf.tensor3d(x, [3, 20, 6]), tf.tensor3d(f, [5, 6, 4])]);
      });
    }
  });
});

describe("MaxPoolGrad", () => {
  const cases: { x: [number, number, number, number]; size: number | [number, number]; strides: number | [number, number]; pad: "same" | "valid" }[] = [
    { x: [2, 8, 6, 3], size: 2, strides: 2, pad: "valid" },
    { x: [2, 9, 7, 3], size: 2, strides: 2, pad: "same" },
    { x: [1, 7, 7, 2], size: 3, strides: 1, pad: "same" },
    { x: [3, 9, 8, 4], size: 3, strides: 2, pad: "same" },
    { x: [2, 1, 20, 5], size: [1, 2], strides: [1, 2], pad: "valid" },
    { x: [2, 10, 5, 2], size: [3, 2], strides: [2, 1], pad: "valid" },
    // Channels in fours: the SIMD loop, with the windows at the padded edges in JavaScript.
    { x: [2, 8, 7, 8], size: 2, strides: 2, pad: "valid" },
    { x: [2, 9, 9, 12], size: 3, strides: 1, pad: "same" },
    { x: [1, 6, 11, 4], size: [2, 3], strides: [2, 2], pad: "same" },
  ];
  for (const c of cases) {
    test(`x ${JSON.stringify(c.x)} pool ${JSON.stringify(c.size)} strides ${JSON.stringify(c.strides)} pad ${c.pad}`, async () => {
      const x = randn(c.x);
      const w = randn(c.x);
      await expectSameAsCpu(() => {
        const g = tf.grad((xt: tf.Tensor) => tf.maxPool(xt.mul(tf.tensor(w, c.x)) as tf.Tensor4D, c.size, c.strides, c.pad).square().sum());
        return g(tf.tensor(x, c.x));
      });
    });
  }
});

describe("MaxPoolGrad on ties", () => {
  test("the first cell scanned (rows, then columns) gets the gradient, as on cpu, in SIMD and in JavaScript", async () => {
    for (const shape of [
      [2, 6, 6, 8],
      [2, 6, 6, 3],
    ] as [number, number, number, number][]) {
      // Small integers: most windows hold their maximum more than once.
      const x = Float32Array.from(randn(shape), (v) => Math.round(v));
      const w = randn([2, 3, 3, shape[3]]);
      await expectSameAsCpu(() => tf.grad((xt: tf.Tensor) => tf.maxPool(xt as tf.Tensor4D, 2, 2, "valid").mul(tf.tensor(w, [2, 3, 3, shape[3]])).sum())(tf.tensor(x, shape)));
    }
  });
});

describe("Sum and Mean", () => {
  test("over leading, middle, trailing and all axes, with and without keepDims", async () => {
    const shape = [3, 4, 5, 6];
    const x = randn(shape);
    for (const axis of [[0], [0, 1, 2], [1, 2], [3], [2, 3], [0, 1, 2, 3], [1], [0, 2], []]) {
      for (const keepDims of [false, true]) {
        await expectSameAsCpu(() => tf.tensor(x, shape).sum(axis, keepDims));
        await expectSameAsCpu(() => tf.tensor(x, shape).mean(axis, keepDims));
      }
    }
    await expectSameAsCpu(() => tf.tensor(x, shape).toInt().sum([0, 1]).toFloat());
    await expectSameAsCpu(() => tf.tensor(x, shape).mul(10).toInt().mean([0, 1]).toFloat());
  });

  test("batch norm's moments of a conv activation (mean and variance over batch, height and width)", async () => {
    const shape = [4, 9, 7, 5];
    const x = randn(shape);
    await expectSameAsCpu(() => {
      const m = tf.moments(tf.tensor(x, shape), [0, 1, 2]);
      return [m.mean, m.variance];
    });
  });
});

describe("Slice, Unpack, SplitV", () => {
  test("slices of ranks 1–5, float32 and int32", async () => {
    const specs: [number[], number[], number[]][] = [
      [[10], [3], [4]],
      [[6, 7], [1, 2], [4, -1]],
      [[6, 7], [0, 3], [6, 1]],
      [[4, 5, 6], [1, 0, 0], [2, 5, 6]],
      [[4, 5, 6], [1, 2, 3], [3, 2, 2]],
      [[3, 4, 5, 6], [0, 1, 0, 2], [3, 2, 5, 3]],
      [[2, 3, 4, 5, 6], [1, 1, 1, 1, 1], [1, 2, 3, 3, 4]],
      [[4, 5], [2, 0], [0, 5]],
    ];
    for (const [shape, begin, size] of specs) {
      const x = randn(shape);
      await expectSameAsCpu(() => {
        const t = tf.tensor(x, shape);
        return [t.slice(begin, size), t.mul(100).toInt().slice(begin, size).toFloat()];
      });
    }
  });

  test("unstack along each axis and split into equal and sized pieces", async () => {
    const shape = [4, 3, 5];
    const x = randn(shape);
    for (const axis of [0, 1, 2, -1]) await expectSameAsCpu(() => tf.unstack(tf.tensor(x, shape), axis));
    await expectSameAsCpu(() => tf.split(tf.tensor(x, shape), 5, 2));
    await expectSameAsCpu(() => tf.split(tf.tensor(x, shape), [1, -1, 2], 2));
    await expectSameAsCpu(() => tf.split(tf.tensor(x, shape), [3, 1], 0));
  });
});

describe("GatherV2", () => {
  test("rows, columns and inner slices, with batch dims, float32 and int32", async () => {
    const shape = [6, 5, 4];
    const x = randn(shape);
    const idx = [5, 0, 2, 2, 1];
    for (const axis of [0, 1, 2, -1]) {
      await expectSameAsCpu(() => {
        const t = tf.tensor(x, shape);
        const i = tf.tensor1d(idx.map((v) => v % shape[axis < 0 ? 2 : axis]), "int32");
        return [tf.gather(t, i, axis), tf.gather(t.mul(10).toInt(), i, axis).toFloat()];
      });
    }
    await expectSameAsCpu(() => tf.gather(tf.tensor(x, shape), tf.tensor2d([3, 0, 1, 1, 2, 3, 0, 0, 1, 3, 3, 2], [6, 2], "int32"), 2, 1));
    await expectSameAsCpu(() => tf.gather(tf.tensor(x, shape), tf.tensor2d([[1, 4], [0, 0]], [2, 2], "int32"), 1));
  });

  test("an index out of range throws", async () => {
    await tf.setBackend("wasm");
    expect(() => tf.tidy(() => tf.gather(tf.tensor(randn([4, 3]), [4, 3]), tf.tensor1d([0, 4], "int32")).dataSync())).toThrow(/index value 4/);
  });
});

describe("Tile, Reverse, NotEqual", () => {
  test("tile by ones and repeats on each axis, ranks 1–4, float32 and int32", async () => {
    const specs: [number[], number[]][] = [
      [[5], [3]],
      [[2, 3], [2, 1]],
      [[1, 1, 1, 20], [2, 3, 4, 1]],
      [[3, 1, 2], [1, 4, 17]],
      [[2, 3, 4, 5], [2, 2, 1, 3]],
    ];
    for (const [shape, reps] of specs) {
      const x = randn(shape);
      await expectSameAsCpu(() => {
        const t = tf.tensor(x, shape);
        return [tf.tile(t, reps), tf.tile(t.mul(10).toInt(), reps).toFloat()];
      });
    }
  });

  test("transpose with trailing axes in place (block copies) and without (stock)", async () => {
    const shape = [3, 4, 2, 5, 8];
    const x = randn(shape);
    for (const perm of [[1, 0, 2, 3, 4], [2, 0, 1, 3, 4], [0, 2, 1, 3, 4], [4, 3, 2, 1, 0], [0, 1, 2, 4, 3], [1, 0, 3, 2, 4]]) {
      await expectSameAsCpu(() => [tf.transpose(tf.tensor(x, shape), perm), tf.transpose(tf.tensor(x, shape).mul(9).toInt(), perm).toFloat()]);
    }
    await expectSameAsCpu(() => tf.transpose(tf.tensor(x, [12, 80]), [1, 0]));
  });

  test("reverse along every subset of axes", async () => {
    const shape = [3, 4, 20];
    const x = randn(shape);
    for (const dims of [[0], [1], [2], [0, 1], [1, 2], [0, 1, 2], [-1]]) await expectSameAsCpu(() => tf.reverse(tf.tensor(x, shape), dims));
    await expectSameAsCpu(() => tf.reverse(tf.tensor(x.subarray(0, 7), [7]), 0));
  });

  test("notEqual against a scalar, a same-shaped tensor and a broadcast row", async () => {
    const shape = [4, 6];
    const x = randn(shape).map((v) => Math.round(v));
    const y = randn(shape).map((v) => Math.round(v));
    await expectSameAsCpu(() => {
      const a = tf.tensor(x, shape);
      return [tf.notEqual(a, 0), tf.notEqual(tf.scalar(1), a), tf.notEqual(a, tf.tensor(y, shape)), tf.notEqual(a, tf.tensor(y.subarray(0, 6), [6]))].map((t) => t.toFloat());
    });
  });
});

describe("Identity and Cast", () => {
  test("share data without leaking: values equal cpu and every tensor is freed", async () => {
    const x = randn([5, 6]);
    await tf.setBackend("wasm");
    const before = tf.engine().backend.numDataIds();
    await expectSameAsCpu(() => {
      const t = tf.tensor(x, [5, 6]);
      const halves = t.round().div(2);
      return [tf.clone(t), t.cast("float32"), t.mul(3).cast("int32").cast("float32"), t.cast("bool").cast("float32"), halves.cast("bool").cast("int32").cast("float32"), t.greater(0).cast("int32").cast("float32")];
    });
    await tf.setBackend("wasm");
    expect(tf.engine().backend.numDataIds()).toBe(before);
  });
});

describe("fused LSTM and GRU sequences", () => {
  interface Case {
    gru?: boolean;
    units: number;
    returnSequences: boolean;
    goBackwards?: boolean;
    recurrentActivation?: "sigmoid" | "hardSigmoid";
    useBias?: boolean;
    masked?: boolean;
    bidirectional?: boolean;
  }
  /** Output and gradients (x, then every weight) of sum(out · w) through an LSTM built from seeds. */
  const run = (c: Case, x: Float32Array, shape: [number, number, number], w: Float32Array) => () => {
    const I = tf.initializers;
    const lstm = () =>
      (c.gru ? tf.layers.gru : tf.layers.lstm)({
        units: c.units,
        returnSequences: c.returnSequences,
        goBackwards: c.goBackwards ?? false,
        recurrentActivation: c.recurrentActivation ?? "hardSigmoid",
        useBias: c.useBias ?? true,
        kernelInitializer: I.glorotUniform({ seed: 1 }),
        recurrentInitializer: I.glorotUniform({ seed: 2 }),
        biasInitializer: I.randomNormal({ seed: 3, stddev: 0.5 }),
      });
    const layer = c.bidirectional ? tf.layers.bidirectional({ layer: lstm() as tf.RNN, mergeMode: "concat" }) : lstm();
    const xv = tf.variable(tf.tensor3d(x, shape));
    // Samples end after 0, 3, 5 ... steps (masked = all-zero frames, as clave's lstm pads).
    const mask = c.masked ? tf.tensor2d(Array.from({ length: shape[0] * shape[1] }, (_, k) => ((k % shape[1]) < ((3 * Math.floor(k / shape[1]) + 2) % (shape[1] + 1)) ? 1 : 0)), [shape[0], shape[1]]) : undefined;
    const out = layer.apply(xv, mask ? { mask } : {}) as tf.Tensor;
    const weights = layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
    const { grads } = tf.variableGrads(() => (layer.apply(xv, mask ? { mask } : {}) as tf.Tensor).mul(tf.tensor(w, out.shape)).sum() as tf.Scalar, [xv, ...weights]);
    return [out, grads[xv.name], ...weights.map((v) => grads[v.name])];
  };
  const cases: Case[] = [
    { units: 5, returnSequences: true },
    { units: 5, returnSequences: false, recurrentActivation: "sigmoid" },
    { units: 4, returnSequences: true, goBackwards: true, masked: true },
    { units: 6, returnSequences: false, masked: true, recurrentActivation: "sigmoid", useBias: false },
    { units: 3, returnSequences: true, bidirectional: true, masked: true, recurrentActivation: "sigmoid" },
    // Units a multiple of 4: the gate arithmetic in wasm SIMD (lstm-simd.ts).
    { units: 8, returnSequences: true, masked: true, recurrentActivation: "sigmoid" },
    { units: 8, returnSequences: false, goBackwards: true, masked: true },
    { units: 4, returnSequences: false, bidirectional: true, masked: true, recurrentActivation: "sigmoid", useBias: false },
    { gru: true, units: 5, returnSequences: true },
    { gru: true, units: 4, returnSequences: false, recurrentActivation: "sigmoid", masked: true },
    { gru: true, units: 3, returnSequences: true, goBackwards: true, masked: true, useBias: false },
    { gru: true, units: 3, returnSequences: false, bidirectional: true, recurrentActivation: "sigmoid" },
  ];
  for (const c of cases) {
    test(`matches tfjs-layers' own layer on cpu: ${JSON.stringify(c)}`, async () => {
      const shape: [number, number, number] = [4, 7, 3];
      const x = randn(shape);
      const outShape = [4, ...(c.returnSequences ? [7] : []), c.units * (c.bidirectional ? 2 : 1)];
      const w = randn(outShape);
      await expectSameAsCpu(run(c, x, shape, w), 2e-4);
    });
  }

  test("is what runs on wasm (and unregistering falls back to the stock layer code)", async () => {
    await tf.setBackend("wasm");
    for (const [name, make] of [
      ["ClaveLstmSequence", tf.layers.lstm],
      ["ClaveGruSequence", tf.layers.gru],
    ] as const) {
      const calls = { n: 0 };
      const kernel = tf.getKernel(name, "wasm");
      expect(kernel).toBeDefined();
      const original = kernel!.kernelFunc;
      tf.unregisterKernel(name, "wasm");
      tf.registerKernel({ ...kernel!, kernelFunc: (a) => (calls.n++, original(a)) });
      try {
        tf.tidy(() => make({ units: 2 }).apply(tf.ones([1, 3, 2])) as tf.Tensor);
        expect(calls.n).toBe(1);
      } finally {
        tf.unregisterKernel(name, "wasm");
        tf.registerKernel(kernel!);
      }
    }
    unregisterClaveKernels(tf);
    const stock = tf.tidy(() => (tf.layers.lstm({ units: 2, kernelInitializer: "ones", recurrentInitializer: "ones" }).apply(tf.ones([1, 3, 2])) as tf.Tensor).dataSync());
    registerClaveKernels(tf);
    const fused = tf.tidy(() => (tf.layers.lstm({ units: 2, kernelInitializer: "ones", recurrentInitializer: "ones" }).apply(tf.ones([1, 3, 2])) as tf.Tensor).dataSync());
    expect(Array.from(fused).map((v) => v.toFixed(5))).toEqual(Array.from(stock).map((v) => v.toFixed(5)));
  });

  for (const gru of [false, true])
  test(`${gru ? "GRU" : "LSTM"} dropout in training draws masks and still trains; without training it is the plain layer`, async () => {
    await tf.setBackend("wasm");
    const make = () => (gru ? tf.layers.gru : tf.layers.lstm)({ units: 4, dropout: 0.3, recurrentDropout: 0.3, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 5 }) });
    const x = tf.tensor3d(randn([3, 5, 2]), [3, 5, 2]);
    const layer = make();
    const inference = (layer.apply(x) as tf.Tensor).dataSync();
    const trained = (layer.apply(x, { training: true }) as tf.Tensor).dataSync();
    expect(Array.from(trained)).not.toEqual(Array.from(inference));
    const weights = layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
    const { grads } = tf.variableGrads(() => (layer.apply(x, { training: true }) as tf.Tensor).square().sum() as tf.Scalar, weights);
    for (const v of weights) expect(Array.from(grads[v.name].dataSync()).every(Number.isFinite)).toBe(true);
    await tf.setBackend("cpu");
    const plain = make();
    const reference = (plain.apply(tf.tensor3d(x.dataSync(), [3, 5, 2])) as tf.Tensor).dataSync();
    for (let i = 0; i < reference.length; i++) expect(Math.abs(inference[i] - reference[i])).toBeLessThan(1e-5);
    await tf.setBackend("wasm");
  });
});

describe("the LSTM's input gradient", () => {
  const T = 6;
  const F = 5;
  const layer = () =>
    tf.layers.lstm({
      units: 8,
      returnSequences: true,
      recurrentActivation: "sigmoid",
      kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }),
      recurrentInitializer: tf.initializers.glorotUniform({ seed: 8 }),
    });

  test("is computed only when a trained variable reaches the input, and skipping it leaves the weight gradients as they were", async () => {
    await tf.setBackend("wasm");
    const kernel = tf.getKernel("BatchMatMul", "wasm")!;
    const products: string[] = [];
    tf.unregisterKernel("BatchMatMul", "wasm");
    tf.registerKernel({ ...kernel, kernelFunc: (a) => (products.push(a.inputs.a!.shape.join("x")), kernel.kernelFunc(a)) });
    try {
      const lstm = layer();
      const x = tf.variable(tf.tensor3d(randn([3, T, F]), [3, T, F]));
      lstm.apply(x);
      const weights = lstm.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
      const loss = () => (lstm.apply(x) as tf.Tensor).square().sum() as tf.Scalar;
      // dx = dZ·Kᵀ is the one product whose left operand is dZ [B·T, 4U].
      const dxProducts = () => products.filter((shape) => shape === `${3 * T}x${4 * 8}`).length;
      products.length = 0;
      const withoutX = tf.variableGrads(loss, weights).grads;
      expect(dxProducts()).toBe(0);
      products.length = 0;
      const withX = tf.variableGrads(loss, [x, ...weights]).grads;
      expect(dxProducts()).toBe(1);
      expect(withX[x.name].shape).toEqual([3, T, F]);
      for (const v of weights) expect(Array.from(withoutX[v.name].dataSync())).toEqual(Array.from(withX[v.name].dataSync()));
      tf.dispose([x, ...Object.values(withoutX), ...Object.values(withX)]);
    } finally {
      tf.unregisterKernel("BatchMatMul", "wasm");
      tf.registerKernel(kernel);
    }
  });

  test("a trained layer before the LSTM gets its gradient through the LSTM's input (as on cpu)", async () => {
    const x = randn([3, T, F]);
    await expectSameAsCpu(() => {
      const dense = tf.layers.dense({ units: 4, activation: "tanh", kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }) });
      const lstm = layer();
      const input = tf.tensor3d(x, [3, T, F]);
      const loss = () => (lstm.apply(dense.apply(input)) as tf.Tensor).square().sum() as tf.Scalar;
      loss();
      const weights = [...dense.trainableWeights, ...lstm.trainableWeights].map((v) => (v as unknown as { val: tf.Variable }).val);
      const { grads } = tf.variableGrads(loss, weights);
      return weights.map((v) => grads[v.name]);
    }, 2e-4);
  });
});

describe("repeated per-step products", () => {
  test("give a·b after every update of a, through the backend's wasm BatchMatMul and through the stock kernel", async () => {
    await tf.setBackend("wasm");
    const backend = tf.backend() as unknown as WasmBackend;
    const ops = makeGemm((name) => tf.getKernel(name, "wasm")?.kernelFunc as unknown as WasmKernelFunc);
    // The same backend without the raw export: the stock kernel's path.
    const stockOnly = new Proxy(backend, {
      get(target, key) {
        if (key === "wasm") return { HEAPU8: target.wasm.HEAPU8 };
        const value: unknown = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    for (const via of [backend, stockOnly]) {
      const a = tf.tensor2d(randn([5, 6]), [5, 6]);
      const b = tf.tensor2d(randn([6, 7]), [6, 7]);
      const product = repeatedProduct(ops, via, a as unknown as TensorInfo, b as unknown as TensorInfo, 5, 6, 7);
      const view = () => new Float32Array(backend.wasm.HEAPU8.buffer, backend.dataIdMap.get(product.out.dataId)!.memoryOffset, 35);
      for (let step = 0; step < 3; step++) {
        const next = randn([5, 6]);
        new Float32Array(backend.wasm.HEAPU8.buffer, backend.dataIdMap.get((a as unknown as TensorInfo).dataId)!.memoryOffset, 30).set(next);
        product.run();
        const want = tf.tidy(() => tf.matMul(tf.tensor2d(next, [5, 6]), b).dataSync());
        const got = Array.from(view());
        for (let i = 0; i < 35; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5 * (1 + Math.abs(want[i])));
      }
      product.release();
      tf.dispose([a, b]);
    }
  });
});

describe("Masking", () => {
  /** [3, 5, 4] frames, some all `value` (padding), one with a NaN, one equal to `value` but in one feature. */
  const frames = (value: number): Float32Array => {
    const x = randn([3, 5, 4]);
    for (const [b, t] of [[0, 4], [1, 0], [1, 3], [2, 2]]) x.fill(value, (b * 5 + t) * 4, (b * 5 + t + 1) * 4);
    x[(2 * 5 + 1) * 4 + 2] = Number.NaN;
    x.fill(value, (0 * 5 + 1) * 4, (0 * 5 + 1) * 4 + 3);
    return x;
  };

  for (const value of [0, -1, 0.1])
    test(`output and mask equal the stock layer's on cpu, and the input gradient is dy on unpadded frames (mask value ${value})`, async () => {
      const x = frames(value);
      // NaN ≠ NaN: compare which values are NaN, and the rest.
      await expectSameAsCpu(() => {
        const layer = tf.layers.masking({ maskValue: value });
        const input = tf.tensor3d(x, [3, 5, 4]);
        const out = layer.apply(input) as tf.Tensor;
        return [out.where(tf.isNaN(out).logicalNot(), 7), tf.isNaN(out).toFloat(), (layer.computeMask(input) as tf.Tensor).toFloat()];
      });
      // The stock layer has no input gradient (Any has none); clave's passes dy where the frame is kept.
      await tf.setBackend("wasm");
      const w = randn([3, 5, 4]);
      const grad = tf.tidy(() => {
        const layer = tf.layers.masking({ maskValue: value });
        const input = tf.variable(tf.tensor3d(x, [3, 5, 4]));
        const { grads } = tf.variableGrads(() => (layer.apply(input) as tf.Tensor).mul(tf.tensor3d(w, [3, 5, 4])).sum() as tf.Scalar, [input]);
        return grads[input.name];
      });
      const g = grad.dataSync();
      grad.dispose();
      const v = Math.fround(value);
      for (let r = 0; r < 15; r++) {
        const padded = x.subarray(r * 4, r * 4 + 4).every((e) => e === v);
        // dy·0 on padded frames (−0 where dy < 0).
        for (let j = r * 4; j < r * 4 + 4; j++) expect(padded ? Math.abs(g[j]) : g[j]).toBe(padded ? 0 : w[j]);
      }
    });

  test("runs as clave's kernels on wasm, passes an unpadded input through without a copy, and frees what it made", async () => {
    await tf.setBackend("wasm");
    const calls: string[] = [];
    const originals = ["ClaveMasking", "ClaveMaskRows", "NotEqual"].map((name) => tf.getKernel(name, "wasm")!);
    for (const k of originals) {
      tf.unregisterKernel(k.kernelName, "wasm");
      tf.registerKernel({ ...k, kernelFunc: (a) => (calls.push(k.kernelName), k.kernelFunc(a)) });
    }
    try {
      const x = tf.tensor3d(randn([2, 3, 4]), [2, 3, 4]);
      const before = tf.engine().backend.numDataIds();
      tf.tidy(() => {
        const layer = tf.layers.masking({ maskValue: 0 });
        const out = layer.apply(x) as tf.Tensor;
        const mask = layer.computeMask(x) as tf.Tensor;
        expect(new Set(calls)).toEqual(new Set(["ClaveMasking", "ClaveMaskRows"]));
        expect((out as unknown as { dataId: object }).dataId).toBe((x as unknown as { dataId: object }).dataId);
        expect(Array.from(mask.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
      });
      expect(Array.from(x.dataSync()).every(Number.isFinite)).toBe(true);
      expect(tf.engine().backend.numDataIds()).toBe(before);
      x.dispose();
    } finally {
      for (const k of originals) {
        tf.unregisterKernel(k.kernelName, "wasm");
        tf.registerKernel(k);
      }
    }
  });
});

describe("Tanh and standardisation in wasm SIMD", () => {
  test("tanh of tiny, moderate and saturating values, with a tail of fewer than four, as on cpu; NaN stays NaN", async () => {
    const x = randn([3, 7, 9]).map((v, i) => v * [1e-6, 3e-4, 1, 4, 30][i % 5]);
    await expectSameAsCpu(() => [tf.tanh(tf.tensor(x, [3, 7, 9])), tf.tanh(tf.tensor(x.subarray(0, 6), [6]))], 1e-6);
    await tf.setBackend("wasm");
    const special = tf.tidy(() => tf.tanh(tf.tensor1d([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, Number.NaN])).dataSync());
    expect(Array.from(special)).toEqual([Number.NaN, 1, -1, 0, Number.NaN]);
  });

  test("standardisation rounds as the subtraction and the division it replaces, bit for bit", async () => {
    await tf.setBackend("wasm");
    for (const features of [1, 4, 7, 417]) {
      const x = randn([6, features]);
      const mean = randn([features]);
      const std = randn([features]).map((v) => Math.abs(v) + 0.1);
      const [fused, ops] = tf.tidy(() => {
        const args = [tf.tensor2d(x, [6, features]), tf.tensor1d(mean), tf.tensor1d(std)] as const;
        const kernel = tf.engine().runKernel("ClaveStandardize", { x: args[0], mean: args[1], std: args[2] }) as tf.Tensor;
        return [kernel.dataSync(), tf.div(tf.sub(args[0], args[1]), args[2]).dataSync()];
      });
      expect(Array.from(fused)).toEqual(Array.from(ops));
    }
  });
});

describe("training on wasm", () => {
  test("an LSTM + bidirectional GRU + conv + batch-norm model trains without leaking wasm memory", async () => {
    await tf.setBackend("wasm");
    registerClaveKernels(tf);
    const L = tf.layers;
    const input = L.input({ shape: [12, 8] });
    let h = L.masking({}).apply(input) as tf.SymbolicTensor;
    h = L.lstm({ units: 6, returnSequences: true, dropout: 0.2, recurrentDropout: 0.2 }).apply(h) as tf.SymbolicTensor;
    h = L.bidirectional({ layer: L.gru({ units: 4, returnSequences: true }) as tf.RNN }).apply(h) as tf.SymbolicTensor;
    h = L.reshape({ targetShape: [12, 8, 1] }).apply(h) as tf.SymbolicTensor;
    h = L.conv2d({ filters: 3, kernelSize: 3, padding: "same", activation: "relu" }).apply(h) as tf.SymbolicTensor;
    h = L.batchNormalization().apply(h) as tf.SymbolicTensor;
    h = L.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
    h = L.flatten().apply(h) as tf.SymbolicTensor;
    const out = L.dense({ units: 3, activation: "softmax" }).apply(h) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    model.compile({ optimizer: "adam", loss: "sparseCategoricalCrossentropy" });
    const x = tf.tensor3d(randn([40, 12, 8]), [40, 12, 8]);
    const y = tf.tensor1d(Array.from({ length: 40 }, (_, i) => i % 3));
    const backend = tf.engine().backend as unknown as { numDataIds(): number };
    const counts: number[][] = [];
    for (let i = 0; i < 3; i++) {
      const history = await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
      expect(Number.isFinite(history.history.loss[0] as number)).toBe(true);
      counts.push([tf.memory().numTensors, backend.numDataIds()]);
    }
    expect(counts[2]).toEqual(counts[1]);
    tf.dispose([x, y]);
    model.dispose();
  });


  test("a small conv2d + conv1d + batch-norm model fits and its loss goes down", async () => {
    await tf.setBackend("wasm");
    registerClaveKernels(tf);
    const L = tf.layers;
    const input = L.input({ shape: [16, 12, 1] });
    let h = L.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: "same", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
    h = L.batchNormalization().apply(h) as tf.SymbolicTensor;
    h = L.activation({ activation: "relu" }).apply(h) as tf.SymbolicTensor;
    h = L.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
    h = L.reshape({ targetShape: [4, 18] }).apply(h) as tf.SymbolicTensor;
    h = L.conv1d({ filters: 5, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(h) as tf.SymbolicTensor;
    h = L.flatten().apply(h) as tf.SymbolicTensor;
    const out = L.dense({ units: 3, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(h) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    model.compile({ optimizer: tf.train.adam(0.01), loss: "sparseCategoricalCrossentropy" });
    // Three classes, each a bright square in a different place.
    const n = 48;
    const xs = new Float32Array(n * 16 * 12);
    const ys = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      ys[i] = i % 3;
      for (let p = 0; p < 16 * 12; p++) xs[i * 192 + p] = 0.3 * (random() - 0.5);
      for (let r = 0; r < 5; r++) for (let c = 0; c < 4; c++) xs[i * 192 + (2 + 5 * ys[i] + r) * 12 + 4 * ys[i] + c] += 1;
    }
    const x = tf.tensor4d(xs, [n, 16, 12, 1]);
    const y = tf.tensor1d(ys);
    const history = await model.fit(x, y, { epochs: 8, batchSize: 16, verbose: 0, shuffle: false });
    tf.dispose([x, y]);
    model.dispose();
    expect(tf.getBackend()).toBe("wasm");
    const loss = history.history.loss as number[];
    expect(loss.every(Number.isFinite)).toBe(true);
    expect(loss[loss.length - 1]).toBeLessThan(0.5 * loss[0]);
  });
});
