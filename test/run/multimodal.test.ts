/** Multimodal comparisons: each table's features alone and joined, on the same rows and folds. */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatCsv } from "../../core/dataset/csv.ts";
import { mulberry32 } from "../../core/random.ts";
import { openRun } from "../../core/run/recorded-run.ts";
import { multimodal } from "../../core/run/multimodal.ts";
import { Registry } from "../../core/registry.ts";
import { builtinPlugins } from "../../plugins/index.ts";
import { runClave, tempDir } from "../helpers.ts";

const registry = new Registry(builtinPlugins.map((plugin) => ({ plugin, origin: "builtin" })));
const dir = tempDir("clave-multimodal-");
// 4 genres: the audio table tells {a, b} from {c, d}, the second table {a, c} from {b, d}; only together
// do they tell the four apart. Labels and artists come from a third table, joined as metadata.
const random = mulberry32(11);
const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const genres = ["a", "b", "c", "d"];
const ids = Array.from({ length: 120 }, (_, i) => `fma/${String(i + 2).padStart(6, "0")}`);
const genreOf = (i: number) => i % 4;
const audio = ids.map((id, i) => [id, ...Array.from({ length: 3 }, () => (genreOf(i) < 2 ? 2 : -2) + normal())]);
const second = ids.map((id, i) => [i + 2, ...Array.from({ length: 2 }, () => (genreOf(i) % 2 === 0 ? 2 : -2) + normal())]);
writeFileSync(join(dir, "audio.csv"), formatCsv(["id", "mfcc1_mean", "mfcc2_mean", "rms_mean"], audio));
// FMA's echonest layout: three header rows and track_id.
writeFileSync(
  join(dir, "echonest.csv"),
  `,echonest,echonest\n,audio_features,audio_features\n,energy,valence\ntrack_id,,\n${second.map((r) => r.join(",")).join("\n")}\n`,
);
writeFileSync(join(dir, "tracks.csv"), formatCsv(["id", "genre", "artist"], ids.map((id, i) => [id, genres[genreOf(i)], `artist${Math.floor(i / 2)}`])));
const [audioCsv, echonestCsv, tracksCsv] = ["audio.csv", "echonest.csv", "tracks.csv"].map((f) => join(dir, f));

describe("multimodal", () => {
  test("each table alone and joined, on the same folds: the joined features tell apart what neither does alone", async () => {
    const report = await multimodal({ model: "logistic_regression", table: [audioCsv, echonestCsv], meta: tracksCsv, label: "genre", group: "artist", folds: 4, runs: join(dir, "runs"), registry, onWarning: () => undefined });
    expect(report.results.map((r) => [r.modality, r.columns])).toEqual([
      ["audio.csv", 3],
      ["echonest.csv", 2],
      ["audio.csv + echonest.csv", 5],
    ]);
    const acc = report.results.map((r) => r.result.summary.accuracy!.mean);
    expect(acc[0]).toBeLessThan(0.65);
    expect(acc[1]).toBeLessThan(0.65);
    expect(acc[2]).toBeGreaterThan(0.9);
    // The same test tracks in fold f whatever the features.
    const testsOf = async (i: number) => {
      const r = report.results[i].result;
      return Promise.all(r.folds.map(async (f) => (await openRun(join(r.dir, f.run), { registry })).dataset!.splits.test));
    };
    const [a, b, c] = await Promise.all([0, 1, 2].map(testsOf));
    expect(a).toEqual(b);
    expect(a).toEqual(c);
    // Artists (pairs of tracks) are never split across a fold.
    for (const test of a) for (const id of test) {
      const i = ids.indexOf(id);
      expect(test).toContain(ids[i % 2 === 0 ? i + 1 : i - 1]);
    }
    const columns = (await openRun(join(report.results[1].result.dir, report.results[1].result.folds[0].run), { registry })).config.table!.columns;
    expect(columns).toEqual(["audio_features.energy", "audio_features.valence"]);
    expect(report.table.numRows()).toBe(3);
  });

  test("a single table with features is refused; clave multimodal prints one row per model and modality", async () => {
    await expect(multimodal({ model: "knn", table: [audioCsv, tracksCsv], label: "genre", runs: join(dir, "runs"), registry })).rejects.toThrow("a multimodal comparison needs two tables with features");
    const r = runClave(["multimodal", "--model", "knn,svm", "--table", audioCsv, "--table", echonestCsv, "--meta", tracksCsv, "--label", "genre", "--folds", "3", "--runs", join(dir, "cli")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const model of ["knn", "svm"]) {
      for (const m of ["audio.csv", "echonest.csv", "audio.csv + echonest.csv"]) expect(r.stdout).toMatch(new RegExp(`\\n${model} +${m.replace("+", "\\+")} +\\d+ +\\d+\\.\\d\\d ± \\d+\\.\\d\\d`));
    }
  });
});
