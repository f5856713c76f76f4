/**
 * Stride-1 convolutions as shifted-row products (core/kernels/conv-shifts.ts, through the Conv2D,
 * FusedConv2D and both gradient kernels): equal to tfjs's cpu backend, and which convolutions take
 * the path (the rest go to XNNPACK or im2col, also checked against cpu).
 */
import { describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { filterBlock, shiftedCalls } from "../../core/kernels/conv-shifts.ts";
import { paddedLimit } from "../../core/kernels/conv2d.ts";
import { shiftedLimit } from "../../core/kernels/conv2d-backprop-filter.ts";
import { mulberry32 } from "../../core/random.ts";
import { expectClose, on, onWasmWithClaveKernels } from "./backends.ts";

onWasmWithClaveKernels();

const random = mulberry32(77);
const values = (shape: number[]) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * random() - 1);

type Shape4 = [number, number, number, number];
interface Case {
  x: Shape4;
  filter: Shape4;
  pad: "same" | "valid" | number;
  strides?: number;
  bias?: boolean;
  relu?: boolean;
  /** Which of the three routines take it: forward, input gradient, filter gradient. */
  shifted: [boolean, boolean, boolean];
}

const cases: Case[] = [
  // cnn2d's block: 3×3 same, output width a multiple of 4.
  { x: [2, 9, 8, 8], filter: [3, 3, 8, 16], pad: "same", shifted: [true, true, true] },
  // No padding and whole tiles of rows: the input read in place.
  { x: [2, 7, 10, 4], filter: [3, 3, 4, 8], pad: "valid", shifted: [true, false, true] },
  // Output width 7: the last row's product through the scratch rows; a bias and a ReLU.
  { x: [3, 9, 7, 8], filter: [3, 3, 8, 8], pad: "same", bias: true, relu: true, shifted: [true, true, true] },
  // Outputs 1 and 2 wide (a deep CNN's last blocks on a short input): each row's product covers 4
  // rows, past several output rows and, at the end, past the output (then into the scratch rows).
  { x: [2, 3, 1, 8], filter: [3, 3, 8, 16], pad: "same", bias: true, shifted: [true, true, true] },
  { x: [3, 2, 2, 16], filter: [3, 3, 16, 8], pad: "same", shifted: [true, true, true] },
  // An even filter ('same' pads one more after than before), explicit padding, a 1×k filter.
  { x: [2, 6, 9, 16], filter: [4, 2, 16, 8], pad: "same", shifted: [true, true, true] },
  { x: [1, 5, 6, 8], filter: [3, 3, 8, 24], pad: 2, bias: true, shifted: [true, true, true] },
  { x: [2, 1, 30, 12], filter: [1, 5, 12, 16], pad: "same", shifted: [true, false, true] },
  // Declined: 3 input channels (too few for the forward's products, the input gradient's
  // columns not whole tiles, the filter gradient's rows not a multiple of 4); 12 output channels
  // (only the input gradient, whose columns are the 8 input channels, takes it); stride 2.
  { x: [2, 8, 8, 3], filter: [3, 3, 3, 8], pad: "same", shifted: [false, false, false] },
  { x: [2, 8, 8, 8], filter: [3, 3, 8, 12], pad: "same", shifted: [false, true, false] },
  { x: [2, 9, 8, 8], filter: [3, 3, 8, 8], pad: "same", strides: 2, shifted: [false, false, false] },
];

describe("stride-1 convolutions as shifted products", () => {
  for (const c of cases) {
    const name = `x ${JSON.stringify(c.x)} filter ${JSON.stringify(c.filter)} pad ${c.pad}${c.strides ? ` strides ${c.strides}` : ""}${c.bias ? " + bias" : ""}${c.relu ? ", relu" : ""}`;
    test(`${name}: output and both gradients equal cpu's; shifted: ${c.shifted.join(", ")}`, async () => {
      const [x, w, b] = [values(c.x), values(c.filter), values([c.filter[3]])];
      const f = () => {
        const xt = tf.tensor4d(x, c.x);
        const wt = tf.tensor4d(w, c.filter);
        const conv = (xv: tf.Tensor4D, wv: tf.Tensor4D) =>
          tf.fused.conv2d({ x: xv, filter: wv, strides: c.strides ?? 1, pad: c.pad as "same", bias: c.bias ? tf.tensor1d(b) : undefined, activation: c.relu ? "relu" : "linear" });
        const y = conv(xt, wt);
        // A loss whose dy is not constant, so the gradients see every position's weight.
        const [dx, dw] = tf.grads((xv: tf.Tensor, wv: tf.Tensor) => conv(xv as tf.Tensor4D, wv as tf.Tensor4D).square().sum())([xt, wt]);
        return [y, dx, dw];
      };
      const before = { ...shiftedCalls };
      const wasm = await on("wasm", [], f);
      const calls = { conv: shiftedCalls.conv - before.conv, filterGradient: shiftedCalls.filterGradient - before.filterGradient };
      const cpu = await on("cpu", [], f);
      expectClose(wasm.outputs, cpu.outputs, 1e-5);
      // The forward ran twice (output, and again inside grads).
      const [forward, input, filter] = c.shifted;
      expect(calls.conv).toBe((forward ? 2 : 0) + (input ? 1 : 0));
      expect(calls.filterGradient).toBe(filter ? 1 : 0);
    });
  }

  test("a batch cut into chunks (and a chunk of 1), and the filter gradient's rows into blocks, give the same output and gradients", async () => {
    const saved = [paddedLimit.floats, shiftedLimit.floats, filterBlock.floats];
    const [x, w] = [values([5, 6, 7, 8]), values([3, 3, 8, 8])];
    const f = () => {
      const xt = tf.tensor4d(x, [5, 6, 7, 8]);
      const wt = tf.tensor4d(w, [3, 3, 8, 8]);
      const [dx, dw] = tf.grads((xv: tf.Tensor, wv: tf.Tensor) => tf.conv2d(xv as tf.Tensor4D, wv as tf.Tensor4D, 1, "same").square().sum())([xt, wt]);
      return [tf.conv2d(xt, wt, 1, "same"), dx, dw];
    };
    const whole = await on("wasm", [], f);
    try {
      for (const floats of [1000, 1]) {
        paddedLimit.floats = floats;
        shiftedLimit.floats = floats;
        filterBlock.floats = floats === 1 ? 1 : 8 * 13;
        const chunked = await on("wasm", [], f);
        expectClose(chunked.outputs, whole.outputs, 1e-6);
      }
    } finally {
      [paddedLimit.floats, shiftedLimit.floats, filterBlock.floats] = saved;
    }
    expectClose(whole.outputs, (await on("cpu", [], f)).outputs, 1e-5);
  });
});
