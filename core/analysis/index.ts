/**
 * Analyses of recorded runs, what the studies report beyond a score: `ablation`, `distributions`,
 * `correlation`, `embedding`, `neighbours`, `attention`, `segments`, `errors`. Each is one call
 * returning Arquero tables and charts, written to `runs/<id>/analysis/<name>/` (tables as CSV, charts
 * as SVG); `analyze(run, name, options)` runs any of them by name, as `clave analyze` does.
 *
 *     const result = await analyze("20250101-120000-lstm-3fa9c1", "neighbours", { expr: "blues-country+pop" });
 *     result.main;                         // the main table
 *     await result.charts.distances.show();
 */
import { UsageError } from "../errors.ts";
import type { ParamsSchema } from "../plugin.ts";
import type { Run } from "../run/recorded-run.ts";
import { ablationAnalysis } from "./ablation.ts";
import { runAnalysis, type AnalysisDefinition, type AnalysisOptions, type AnalysisResult } from "./analysis.ts";
import { attentionAnalysis } from "./attention.ts";
import { correlationAnalysis } from "./correlation.ts";
import { distributionsAnalysis } from "./distributions.ts";
import { embeddingAnalysis } from "./embedding.ts";
import { errorsAnalysis } from "./errors.ts";
import { neighboursAnalysis } from "./neighbours.ts";
import { segmentsAnalysis } from "./segments.ts";

export { analysisDir, defineAnalysis, runAnalysis, writeAnalysis, type AnalysisContext, type AnalysisDefinition, type AnalysisOptions, type AnalysisOutput, type AnalysisResult } from "./analysis.ts";
export { ablation, ablationAnalysis, keepColumns, parseGroups, type AblationOptions, type FeatureGroup } from "./ablation.ts";
export { distributions, distributionsAnalysis, type DistributionsAnalysisOptions } from "./distributions.ts";
export { correlation, correlationAnalysis, topByF, type CorrelationAnalysisOptions } from "./correlation.ts";
export { embedding, embeddingAnalysis, sampleIndices, type EmbeddingOptions } from "./embedding.ts";
export { neighbours, neighboursAnalysis, classCentroids, classNeighbours, evaluateExpression, parseExpression, distance, type ClassNeighbours, type Metric, type NeighboursOptions, type Term } from "./neighbours.ts";
export { attention, attentionAnalysis, attentionProfile, attentionWeights, type AttentionOptions } from "./attention.ts";
export { segments, segmentsAnalysis, attentionDensity, overlapMean, windowStarts, type SegmentsOptions } from "./segments.ts";
export { errors, errorsAnalysis, topTwo, type ErrorsOptions } from "./errors.ts";
export { aggregateExamples, aggregateNames, featureRowNames, stackParts, type StackPart } from "./data.ts";
export { fClassif, mutualInfoClassif, fSurvival, incompleteBeta, digamma, logGamma, type FClassif, type Matrix, type MutualInfoOptions } from "./stats.ts";
export { tsne, squaredDistances, type TsneOptions } from "./tsne.ts";
export { pca, umap, project, trustworthiness, PROJECTION_METHODS, type Pca, type ProjectionMethod, type UmapOptions } from "./projection.ts";

/** Every analysis, by name, in the order `clave analyze --help` lists them. */
export const ANALYSES = {
  ablation: ablationAnalysis,
  distributions: distributionsAnalysis,
  correlation: correlationAnalysis,
  embedding: embeddingAnalysis,
  neighbours: neighboursAnalysis,
  attention: attentionAnalysis,
  segments: segmentsAnalysis,
  errors: errorsAnalysis,
} as const satisfies Record<string, AnalysisDefinition<ParamsSchema>>;

export type AnalysisName = keyof typeof ANALYSES;
export const ANALYSIS_NAMES = Object.keys(ANALYSES) as AnalysisName[];

/**
 * Run the analysis `name` on a run; `options` holds its params (`{ seeds: 3 }`, `{ expr: "a-b+c" }`)
 * beside the common options (`out`, `runs`, `cache`...).
 * @example const r = await analyze(run, "errors"); r.tables.misclassified
 */
export async function analyze(run: string | Run, name: string, options: AnalysisOptions & Readonly<Record<string, unknown>> = {}): Promise<AnalysisResult> {
  if (!Object.hasOwn(ANALYSES, name)) throw new UsageError(`analyze ${name}: expected one of ${ANALYSIS_NAMES.join(", ")}`);
  return runAnalysis(ANALYSES[name as AnalysisName] as unknown as AnalysisDefinition<ParamsSchema>, run, options);
}
