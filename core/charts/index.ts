/**
 * Charts for notebooks, reports and the CLI: pure builders from plain data to a `Chart`, which holds
 * a Vega-Lite spec and renders itself (`toSVG`, `toPNG`, `save`, `show` in tslab). The renderers (vega,
 * vega-lite, resvg) are loaded on the first render, so importing this costs nothing.
 */
export { Chart } from "./chart.ts";
export { type ChartOptions, type Datum, type Json, type VegaLiteSpec } from "./spec.ts";
export type { PngOptions } from "./render.ts";
export type { FeatureTable } from "./table.ts";
export { specshowChart, type FeatureMatrix, type SpecshowAxis, type SpecshowOptions } from "./specshow.ts";
export { waveformChart, type WaveformOptions, type WaveformSignal } from "./waveform.ts";
export { confusionChart, type ConfusionChartOptions } from "./confusion.ts";
export { trainingCurvesChart, bestEpoch, type TrainingCurvesOptions, type TrainingHistory } from "./training.ts";
export { classBalanceChart, type ClassBalanceOptions, type LabelledRow } from "./class-balance.ts";
export { classScoresChart, type ClassScoreName, type ClassScoresOptions } from "./class-scores.ts";
export { featureDistributionsChart, boxStats, type BoxStats, type DistributionsOptions } from "./distributions.ts";
export { correlationChart, pearsonCorrelation, type CorrelationOptions } from "./correlation.ts";
export { heatmapChart, type HeatmapOptions } from "./heatmap.ts";
export { errorBarsChart, type ErrorBarItem, type ErrorBarsOptions } from "./error-bars.ts";
export { embeddingChart, type EmbeddingOptions as EmbeddingChartOptions } from "./embedding.ts";
export { rankingChart, type RankedItem, type RankingOptions } from "./ranking.ts";
export { explainedVarianceChart } from "./variance.ts";
