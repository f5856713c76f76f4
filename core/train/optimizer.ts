/**
 * Adam with decoupled weight decay (AdamW, Loshchilov & Hutter), as `torch.optim.AdamW` computes it:
 *
 *     θ ← θ · (1 − lr · λ)                       (decay, independent of the gradient)
 *     m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²
 *     θ ← θ − lr · m̂ / (√v̂ + ε),   m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)
 *
 * With λ = 0 it is tfjs's Adam. The learning rate can be changed between steps (schedules).
 * On the wasm backend with clave's kernels, each variable's step is one kernel (core/kernels/adam.ts);
 * the optimizer's state (moments, iterations) is tfjs's own either way, so it saves and loads alike.
 */
import type * as TF from "@tensorflow/tfjs";
import { ADAM_UPDATE, type AdamUpdateAttrs } from "../kernels/adam.ts";

type Tf = typeof TF;

export interface AdamWOptions {
  readonly learningRate: number;
  readonly weightDecay?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  /** Keras's default 1e-7 (PyTorch uses 1e-8). */
  readonly epsilon?: number;
}

/** An optimizer whose learning rate schedules can change. */
export interface ScheduledOptimizer extends TF.Optimizer {
  getLearningRate(): number;
  setLearningRate(lr: number): void;
}

type AdamWClass = new (options: AdamWOptions) => ScheduledOptimizer;

/** The parts of tfjs's AdamOptimizer (private there) the fused step keeps up to date. */
interface AdamState {
  accumulatedFirstMoment: ({ originalName: string; variable: TF.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: TF.Variable } | undefined)[];
  accBeta1: TF.Variable;
  accBeta2: TF.Variable;
  /** Undefined until the first step. */
  iterations_: number | undefined;
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
  incrementIterations(): void;
}
const classes = new WeakMap<object, AdamWClass>();

function adamWClass(tf: Tf): AdamWClass {
  const cached = classes.get(tf);
  if (cached) return cached;
  class AdamW extends tf.AdamOptimizer implements ScheduledOptimizer {
    readonly weightDecay: number;
    constructor(options: AdamWOptions) {
      super(options.learningRate, options.beta1 ?? 0.9, options.beta2 ?? 0.999, options.epsilon ?? 1e-7);
      this.weightDecay = options.weightDecay ?? 0;
    }
    getLearningRate(): number {
      return this.learningRate;
    }
    setLearningRate(lr: number): void {
      this.learningRate = lr;
    }
    override applyGradients(gradients: Parameters<TF.AdamOptimizer["applyGradients"]>[0]): void {
      if (tf.getBackend() === "wasm" && tf.getKernel(ADAM_UPDATE, "wasm") !== undefined) {
        this.fusedStep(gradients);
        return;
      }
      if (this.weightDecay > 0) {
        const names = Array.isArray(gradients) ? gradients.map((g) => g.name) : Object.keys(gradients);
        const keep = 1 - this.learningRate * this.weightDecay;
        tf.tidy(() => {
          for (const name of names) {
            const variable = tf.engine().registeredVariables[name];
            variable.assign(tf.mul(variable, keep));
          }
        });
      }
      super.applyGradients(gradients);
    }
    /** tfjs's Adam step (and AdamW's decay), one kernel per variable. */
    private fusedStep(gradients: Parameters<TF.AdamOptimizer["applyGradients"]>[0]): void {
      const state = this as unknown as AdamState;
      const names = Array.isArray(gradients) ? gradients.map((g) => g.name) : Object.keys(gradients);
      // β^t of this step from the iteration count, as tfjs's setWeights restores it.
      const t = (state.iterations_ ?? 0) + 1;
      const attrs: AdamUpdateAttrs = {
        learningRate: state.learningRate,
        beta1: state.beta1,
        beta2: state.beta2,
        epsilon: state.epsilon,
        correction1: 1 - state.beta1 ** t,
        correction2: 1 - state.beta2 ** t,
        decay: 1 - state.learningRate * this.weightDecay,
      };
      tf.tidy(() => {
        names.forEach((name, i) => {
          const value = tf.engine().registeredVariables[name];
          state.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
          state.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
          const gradient = Array.isArray(gradients) ? gradients[i].tensor : gradients[name];
          if (gradient == null) return;
          const m = state.accumulatedFirstMoment[i]!.variable;
          const v = state.accumulatedSecondMoment[i]!.variable;
          const [next, nextM, nextV] = tf.engine().runKernel(ADAM_UPDATE, { value, m, v, gradient }, attrs as unknown as TF.NamedAttrMap) as TF.Tensor[];
          m.assign(nextM);
          v.assign(nextV);
          value.assign(next);
        });
        state.accBeta1.assign(tf.scalar(state.beta1 ** (t + 1)));
        state.accBeta2.assign(tf.scalar(state.beta2 ** (t + 1)));
      });
      state.incrementIterations();
    }
  }
  classes.set(tf, AdamW);
  return AdamW;
}

/** A new AdamW optimizer on `tf`'s engine. */
export function adamW(tf: Tf, options: AdamWOptions): ScheduledOptimizer {
  return new (adamWClass(tf))(options);
}
