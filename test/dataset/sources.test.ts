/**
 * Every source builds a manifest from a fixture in its real layout; problems are reported, not
 * fatal; and no track, artist or audio content crosses a split — for every source, with its default
 * split, stratified splits under several seeds, k folds, and the segments cut from its tracks.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { loadAudio, segmentSignal } from "../../core/audio/index.ts";
import { buildManifest, type BuildResult } from "../../core/dataset/build.ts";
import { readManifest, trackPath, type Manifest } from "../../core/dataset/manifest.ts";
import { applySplit, findLeaks, splitOfSegments } from "../../core/dataset/split.ts";
import { resolveParams } from "../../core/params.ts";
import type { SourcePlugin } from "../../core/plugin.ts";
import folder from "../../plugins/sources/folder.ts";
import fma, { readFmaGenres, readFmaTracks } from "../../plugins/sources/fma.ts";
import gtzan, { readGtzanFeatures } from "../../plugins/sources/gtzan.ts";
import synthetic from "../../plugins/sources/synthetic.ts";
import { tempDir } from "../helpers.ts";
import { FMA_ROWS, makeFma, makeFolder, makeGtzanKaggle, makeGtzanOriginal } from "./fixtures.ts";

// Real ffmpeg runs and whole builds: slower than a unit test on a loaded 2-core machine.
const SLOW = 60_000;

const dir = tempDir("clave-sources-");

function build(source: SourcePlugin, values: Record<string, unknown>, out: string, split?: string): Promise<BuildResult> {
  return buildManifest(source, resolveParams(source, values) as Record<string, unknown>, { out, split });
}

const built: Record<string, Manifest> = {};
let gtzanOriginal: BuildResult;
let gtzanKaggle: BuildResult;
let fmaSmall: BuildResult;
let folderResult: BuildResult;
let syntheticResult: BuildResult;
const fixtures = {} as {
  original: ReturnType<typeof makeGtzanOriginal>;
  kaggle: ReturnType<typeof makeGtzanKaggle>;
  fma: ReturnType<typeof makeFma>;
  folder: ReturnType<typeof makeFolder>;
};

beforeAll(async () => {
  fixtures.original = makeGtzanOriginal(join(dir, "gtzan"));
  fixtures.kaggle = makeGtzanKaggle(join(dir, "kaggle"));
  fixtures.fma = makeFma(join(dir, "fma"));
  fixtures.folder = makeFolder(join(dir, "salsa"));
  gtzanOriginal = await build(gtzan, { path: join(dir, "gtzan") }, join(dir, "gtzan", "manifest.csv"));
  gtzanKaggle = await build(gtzan, { path: join(dir, "kaggle") }, join(dir, "kaggle", "manifest.csv"));
  fmaSmall = await build(fma, { path: join(dir, "fma") }, join(dir, "fma", "manifest.csv"));
  folderResult = await build(folder, { path: join(dir, "salsa") }, join(dir, "salsa", "manifest.csv"));
  syntheticResult = await build(synthetic, { per_class: 6, seconds: 1, seed: 3 }, join(dir, "synthetic", "manifest.csv"));
  for (const [name, result] of Object.entries({ gtzanOriginal, gtzanKaggle, fmaSmall, folderResult, syntheticResult })) built[name] = result.manifest;
}, 120_000);

const reasons = (r: BuildResult) => r.problems.map((p) => `${p.path.split(/[\\/]/).slice(-2).join("/")}: ${p.reason}`);

describe("gtzan", () => {
  test("original layout (genres/<genre>/<genre>.000NN.au): every readable excerpt, Sturm's split, problems reported", async () => {
    const m = gtzanOriginal.manifest;
    expect(m.rows).toHaveLength(fixtures.original.tracks);
    const blues = m.rows.find((r) => r.id === "gtzan/blues.00000")!;
    expect(blues).toMatchObject({ label: "blues", source: "gtzan", path: "genres/blues/blues.00000.au", sr: 22050, split: "validation" });
    expect(blues.duration_s).toBeCloseTo(2, 3);
    expect(blues.hash).toMatch(/^[0-9a-f]{64}$/);
    const splitOf = (id: string) => m.rows.find((r) => r.id === `gtzan/${id}`)?.split;
    expect([splitOf("blues.00012"), splitOf("blues.00029"), splitOf("jazz.00073"), splitOf("jazz.00033")]).toEqual(["test", "train", "test", "excluded"]);
    expect(m.extraColumns).toEqual(["split_sturm"]);
    const why = reasons(gtzanOriginal);
    expect(why).toHaveLength(2);
    expect(why[0]).toMatch(/^blues\/my remix\.au: not a GTZAN au excerpt name/);
    expect(why[1]).toMatch(/^classical\/classical\.00032\.au: cannot read \(track gtzan\/classical\.00032\): .*left out$/);
    // The manifest on disk is the one returned.
    expect((await readManifest(join(dir, "gtzan", "manifest.csv"))).rows).toEqual(m.rows);
  }, SLOW);

  test("Kaggle layout (genres_original/<genre>/<genre>.000NN.wav): its corrupt jazz.00054.wav is reported and left out", async () => {
    const m = gtzanKaggle.manifest;
    expect(m.rows.map((r) => r.id).sort()).toEqual(["blues.00000", "blues.00012", "blues.00029", "jazz.00000", "jazz.00002", "jazz.00073"].map((n) => `gtzan/${n}`));
    expect(m.rows[0].path).toBe("Data/genres_original/blues/blues.00000.wav");
    expect(reasons(gtzanKaggle)).toEqual(["jazz/jazz.00054.wav: known corrupt file in Kaggle's GTZAN copy (it does not decode): left out"]);
    // Kept on request, it is still found unreadable when its file is checked, and the build goes on.
    const kept = await build(gtzan, { path: join(dir, "kaggle"), known_bad: "keep" }, join(dir, "kaggle-kept", "manifest.csv"));
    expect(kept.manifest.rows).toHaveLength(6);
    expect(reasons(kept)[0]).toMatch(/^jazz\/jazz\.00054\.wav: cannot read \(track gtzan\/jazz\.00054\)/);
  }, SLOW);

  test("Kaggle's features_30_sec.csv and features_3_sec.csv load as tables; 3 s segments inherit their track's split", async () => {
    const t30 = await readGtzanFeatures(join(dir, "kaggle", fixtures.kaggle.data, "features_30_sec.csv"), { manifest: gtzanKaggle.manifest });
    expect(t30.numRows()).toBe(6);
    expect(t30.array("segment")).toEqual([null, null, null, null, null, null] as never);
    const t3 = await readGtzanFeatures(join(dir, "kaggle", fixtures.kaggle.data, "features_3_sec.csv"), { manifest: gtzanKaggle.manifest });
    expect(t3.numRows()).toBe(18);
    const rows = t3.objects() as { track_id: string; segment: number; split: string; tempo: number }[];
    for (const r of rows) expect(r.split).toBe(gtzanKaggle.manifest.rows.find((m) => m.id === r.track_id)!.split);
    expect(rows.filter((r) => r.track_id === "gtzan/blues.00000").map((r) => [r.segment, r.split])).toEqual([
      [0, "validation"],
      [1, "validation"],
      [2, "validation"],
    ]);
    expect(typeof rows[0].tempo).toBe("number");
  }, SLOW);
});

describe("fma", () => {
  test("tracks.csv with its three-row header, and genres.csv, load as tables", async () => {
    const tracks = await readFmaTracks(join(dir, "fma", "fma_metadata", "tracks.csv"));
    expect(tracks.numRows()).toBe(10);
    expect(tracks.columnNames().slice(0, 3)).toEqual(["track_id", "album.comments", "album.date_created"]);
    expect(tracks.columnNames()).toContain("set.split");
    expect(tracks.get("track.title", 7)).toBe("Untitled\nwith a line break");
    expect(tracks.get("track.title", 4)).toBe('Street Music, "live"');
    const genres = await readFmaGenres(join(dir, "fma", "fma_metadata", "genres.csv"));
    expect(genres.get("title", 0)).toBe("Pop");
  }, SLOW);

  test("subset small: genre_top labels, artists, FMA's split, genre lists; known-bad, missing and corrupt mp3s reported", () => {
    const m = fmaSmall.manifest;
    expect(m.rows.map((r) => r.id)).toEqual(["fma/000002", "fma/000005", "fma/000010", "fma/000140", "fma/000148"]);
    expect(m.rows.map((r) => r.split)).toEqual(["train", "train", "train", "validation", "test"]);
    const r148 = m.rows[4];
    expect(r148).toMatchObject({ label: "Pop", artist: "Amoebic Ensemble", title: "Untitled\nwith a line break", path: "fma_small/000/000148.mp3" });
    expect(r148.extra).toMatchObject({ split_fma: "test", subset: "small", genre_top: "Pop", genres: "Pop|Experimental Pop", genre_ids: "10|76", artist_id: "60" });
    expect(r148.duration_s).toBeGreaterThan(1.9);
    const why = reasons(fmaSmall);
    expect(why).toHaveLength(3);
    expect(why[0]).toBe("099/099134.mp3: known to hold no audio (mdeff/fma#8, #44): left out");
    expect(why[1]).toMatch(/^000\/000134\.mp3: cannot read \(track fma\/000134\)/);
    expect(why[2]).toMatch(/^000\/000141\.mp3: missing file \(track fma\/000141\): left out$/);
  }, SLOW);

  test("subset medium includes small; large lists tracks without genre_top as one reported count", async () => {
    const medium = await build(fma, { path: join(dir, "fma"), subset: "medium", audio_dir: "fma_small" }, join(dir, "fma-medium", "manifest.csv"));
    expect(medium.manifest.rows.map((r) => r.id)).toContain("fma/000003");
    expect(medium.manifest.rows).toHaveLength(6);
    const large = await build(fma, { path: join(dir, "fma"), subset: "large", audio_dir: "fma_small" }, join(dir, "fma-large", "manifest.csv"));
    expect(reasons(large)).toContain("fma_metadata/tracks.csv: 1 tracks of the large subset have no genre_top (several root genres): left out");
    expect(FMA_ROWS.find((r) => r.id === 1482)!.genreTop).toBe("");
  }, SLOW);
});

describe("folder", () => {
  test("<root>/<label>/<audio> in wav, mp3 and au, artist and title from 'Artist - Title'; a corrupt file reported", () => {
    const m = folderResult.manifest;
    expect(m.rows).toHaveLength(fixtures.folder.tracks);
    const r = m.rows.find((x) => x.id === "timba/Conjunto Dos - timba 1")!;
    expect(r).toMatchObject({ label: "timba", artist: "Conjunto Dos", title: "timba 1", source: "folder" });
    expect(new Set(m.rows.map((x) => x.path.split(".").pop()))).toEqual(new Set(["wav", "mp3", "au"]));
    expect(reasons(folderResult)).toHaveLength(1);
    expect(reasons(folderResult)[0]).toMatch(/^son\/Broken Band - Bad File\.wav: cannot read/);
  }, SLOW);
});

describe("synthetic", () => {
  test("renders labelled WAVs beside the manifest, named synthetic everywhere", () => {
    const m = syntheticResult.manifest;
    expect(syntheticResult.rendered).toBe(18);
    expect(m.rows[0]).toMatchObject({ id: "synthetic/son_clave/0000", label: "son_clave", source: "synthetic", path: "son_clave/0000.wav", sr: 22050, duration_s: 1 });
    expect(m.rows.every((r) => r.title.endsWith("(synthetic)") && r.id.startsWith("synthetic/"))).toBe(true);
    expect(new Set(m.rows.map((r) => r.label))).toEqual(new Set(["son_clave", "rumba_clave", "dance_beat"]));
    expect(syntheticResult.problems).toEqual([]);
  }, SLOW);
});

describe("no track, artist or audio crosses a split, for every source", () => {
  const sources = ["gtzanOriginal", "gtzanKaggle", "fmaSmall", "folderResult", "syntheticResult"];

  test.each(sources)("%s: its default split", (name: string) => {
    const m = built[name];
    expect(m.rows.some((r) => r.split === "train")).toBe(true);
    expect(findLeaks(m.rows)).toEqual([]);
  }, SLOW);

  test.each(sources)("%s: stratified (by artist when known) under 10 seeds, and 3 folds", (name: string) => {
    for (let seed = 0; seed < 10; seed++) {
      const m = applySplit(built[name], "stratified", { seed, kfold: 3, includeExcluded: true });
      expect(findLeaks(m.rows)).toEqual([]);
      expect(findLeaks(m.rows, "fold")).toEqual([]);
    }
  }, SLOW);

  test("the folder's planted copy (same bytes, another artist and label) stays with its original", () => {
    for (let seed = 0; seed < 10; seed++) {
      const m = applySplit(built.folderResult, "stratified", { seed });
      const split = (id: string) => m.rows.find((r) => r.id === id)!.split;
      expect(split(fixtures.folder.duplicate.copy)).toBe(split(fixtures.folder.duplicate.of));
    }
  }, SLOW);

  test.each(sources)("%s: segments cut from its tracks carry their track's split", async (name: string) => {
    const m = built[name];
    for (const row of m.rows.slice(0, 3)) {
      const signal = await loadAudio(trackPath(m, row));
      const segments = segmentSignal(signal, row.id, { duration: 0.25 });
      expect(segments.length).toBeGreaterThan(1);
      expect(new Set(splitOfSegments(segments, m.rows))).toEqual(new Set([row.split]));
    }
  }, SLOW);
});
