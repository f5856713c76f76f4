/**
 * The architectures the training benchmarks run (bench/train.ts for speed, bench/train-memory.ts for
 * memory), each a clave model plugin with its params and one example's shape; bench/train_torch.py
 * builds the PyTorch twin of each from the same plugin name and params.
 */
export interface Arch {
  /** Row name. */
  name: string;
  /** Model plugin (default: `name`). */
  plugin?: string;
  params?: Record<string, unknown>;
  /** One example's shape. */
  input: number[];
  /** Whether the network has convolutions (stock wasm cannot train those). */
  conv?: boolean;
  /**
   * Small networks (a step of ~1 ms): 30x the batches per epoch, so per-epoch costs do not dominate,
   * and a warm-up run before timing, so the JIT's first few hundred steps do not either.
   */
  small?: boolean;
}

/** cnn2d's plain layout (its default before the course CNN). */
export const CNN2D_PLAIN = { filters: [32, 64], batch_norm: false, pooling: "flatten", block_dropout: 0.3, dense_units: 128 };

export const ARCHS: Arch[] = [
  { name: "lstm", input: [130, 417] },
  { name: "bilstm_attention", input: [130, 417] },
  { name: "bilstm_attention_bn", input: [130, 417] },
  { name: "crnn", input: [130, 128], conv: true },
  { name: "crnn_1d_lstm", plugin: "crnn", params: { conv: "1d", rnn: "lstm" }, input: [130, 128], conv: true },
  { name: "cnn_token_attention", input: [130, 128], conv: true },
  { name: "cnn2d", input: [130, 128], conv: true },
  { name: "cnn2d_plain", plugin: "cnn2d", params: CNN2D_PLAIN, input: [130, 128], conv: true },
  { name: "dense2", input: [417], small: true },
  { name: "mlp", input: [417], small: true },
  { name: "autoencoder", input: [417], small: true },
  { name: "softmax_autoencoder", input: [417], small: true },
];

/** Classes of the benchmarks' random labels (GTZAN's 10 genres). */
export const CLASSES = 10;
