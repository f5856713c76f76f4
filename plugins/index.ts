/** The plugins clave ships. Each lives in its own file under plugins/<kind>/. */
import type { Plugin } from "../core/plugin.ts";
import folder from "./sources/folder.ts";
import gtzan from "./sources/gtzan.ts";
import fma from "./sources/fma.ts";
import synthetic from "./sources/synthetic.ts";
import spotify from "./sources/spotify.ts";
import tracklist from "./sources/tracklist.ts";
import rms from "./features/rms.ts";
import stack, { stackableBuiltins } from "./features/stack.ts";
import mlp from "./models/mlp.ts";
import lstm from "./models/lstm.ts";
import bilstmAttention from "./models/bilstm_attention.ts";
import bilstmAttentionBn from "./models/bilstm_attention_bn.ts";
import crnn from "./models/crnn.ts";
import cnnTokenAttention from "./models/cnn_token_attention.ts";
import dense2 from "./models/dense2.ts";
import autoencoder from "./models/autoencoder.ts";
import softmaxAutoencoder from "./models/softmax_autoencoder.ts";
import cnn2d from "./models/cnn2d.ts";
import knn from "./models/knn.ts";
import svm from "./models/svm.ts";
import randomForest from "./models/random_forest.ts";
import boostedTrees from "./models/boosted_trees.ts";
import logisticRegression from "./models/logistic_regression.ts";

export const builtinPlugins: readonly Plugin[] = [
  // sources
  folder,
  gtzan,
  fma,
  synthetic,
  spotify,
  tracklist,
  // features
  ...stackableBuiltins,
  stack,
  // models
  mlp,
  lstm,
  bilstmAttention,
  bilstmAttentionBn,
  crnn,
  cnnTokenAttention,
  dense2,
  autoencoder,
  softmaxAutoencoder,
  cnn2d,
  // classical models on feature vectors (core/ml)
  knn,
  svm,
  randomForest,
  boostedTrees,
  logisticRegression,
] as Plugin[];
