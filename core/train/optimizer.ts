/**
 * Adam with decoupled weight decay (AdamW, Loshchilov & Hutter), as `torch.optim.AdamW` computes it:
 *
 *     θ ← θ · (1 − lr · λ)                       (decay, independent of the gradient)
 *     m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²
 *     θ ← θ − lr · m̂ / (√v̂ + ε),   m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)
 *
 * With λ = 0 it is tfjs's Adam. The learning rate can be changed between steps (schedules).
 */
import type * as TF from "@tensorflow/tfjs";

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
  }
  classes.set(tf, AdamW);
  return AdamW;
}

/** A new AdamW optimizer on `tf`'s engine. */
export function adamW(tf: Tf, options: AdamWOptions): ScheduledOptimizer {
  return new (adamWClass(tf))(options);
}
