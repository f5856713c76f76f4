import { describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readManifest } from "../../core/dataset/manifest.ts";
import { runClave, tempDir } from "../helpers.ts";
import { makeGtzanKaggle } from "./fixtures.ts";

// Real ffmpeg runs and whole builds: slower than a unit test on a loaded 2-core machine.
const SLOW = 60_000;

const dir = tempDir("clave-dataset-cli-");
const manifest = join(dir, "synthetic", "manifest.csv");

describe("clave dataset", () => {
  test("build --source synthetic writes the audio and the manifest, and prints the class balance", async () => {
    const r = runClave(["dataset", "build", "--source", "synthetic", "--per-class", "4", "--seconds", "1", "--seed", "4", "--out", manifest]);
    // Four clips per class leave the test part without any: said, not silent.
    expect(r.stderr.trim().split("\n")).toEqual(
      ["dance_beat", "rumba_clave", "son_clave"].map(
        (label) => `clave: warning: class "${label}" has no test track (4 tracks: 3 train, 1 validation, 0 test); with ratios 80/10/10 a class needs at least 5 tracks, or change --ratios`,
      ),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${manifest}: 12 tracks from source synthetic (12 rendered)`);
    expect(r.stdout).toMatch(/son_clave\s+4\s+33\.3%\s+3\s+1\s+0/);
    const m = await readManifest(manifest);
    expect(m.rows).toHaveLength(12);
    expect(existsSync(join(dir, "synthetic", "dance_beat", "0003.wav"))).toBe(true);
  }, SLOW);

  test("stats --json, validate (exit 0 when clean, 1 with the faults listed)", () => {
    const stats = JSON.parse(runClave(["dataset", "stats", manifest, "--json"]).stdout) as { label: string; tracks: number; train: number }[];
    expect(stats.map((s) => [s.label, s.tracks])).toEqual([
      ["dance_beat", 4],
      ["rumba_clave", 4],
      ["son_clave", 4],
      ["(all)", 12],
    ]);
    const clean = runClave(["dataset", "validate", manifest]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain(`0 issue(s) in 12 tracks of ${manifest}`);
    writeFileSync(join(dir, "synthetic", "rumba_clave", "0001.wav"), "not audio");
    const dirty = runClave(["dataset", "validate", manifest]);
    expect(dirty.code).toBe(1);
    expect(dirty.stdout).toMatch(/hash_mismatch\s+synthetic\/rumba_clave\/0001/);
    expect(dirty.stdout).toMatch(/undecodable\s+synthetic\/rumba_clave\/0001/);
    expect(dirty.stdout).toContain("2 issue(s) in 12 tracks");
    const json = JSON.parse(runClave(["dataset", "validate", manifest, "--json", "--no-decode"]).stdout) as { issues: { kind: string }[] };
    expect(json.issues.map((i) => i.kind)).toEqual(["hash_mismatch", "undecodable"]);
  }, SLOW);

  test("split: ratios, seed and k folds, to another file", async () => {
    const out = join(dir, "split.csv");
    const r = runClave(["dataset", "split", manifest, "--ratios", "50,25,25", "--seed", "2", "--kfold", "2", "--out", out]);
    expect(r.code).toBe(0);
    const m = await readManifest(out);
    expect(m.extraColumns).toContain("fold");
    expect(m.rows.filter((row) => row.split === "train")).toHaveLength(6);
    expect(new Set(m.rows.map((row) => row.extra.fold))).toEqual(new Set(["0", "1"]));
    // The original is untouched.
    expect((await readManifest(manifest)).extraColumns).not.toContain("fold");
  }, SLOW);

  test("build --source gtzan: problems go to stderr and the build goes on; --strict makes them fail", () => {
    makeGtzanKaggle(join(dir, "gtzan"));
    const r = runClave(["dataset", "build", "--source", "gtzan", "--path", join(dir, "gtzan")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${join(dir, "gtzan", "manifest.csv")}: 6 tracks from source gtzan`);
    expect(r.stderr).toContain("jazz.00054.wav: known corrupt file in Kaggle's GTZAN copy (it does not decode): left out");
    expect(r.stderr).toContain("1 problem(s); 6 of 6 listed tracks written");
    expect(runClave(["dataset", "build", "--source", "gtzan", "--path", join(dir, "gtzan"), "--strict"]).code).toBe(1);
    const wrong = runClave(["dataset", "build", "--source", "synthetic", "--per-class", "1", "--split", "sturm", "--out", join(dir, "x", "m.csv")]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('source synthetic: no published split named "sturm" (it has: none; or use auto, stratified, none)');
    const split = runClave(["dataset", "split", join(dir, "gtzan", "manifest.csv"), "--split", "fma"]);
    expect(split.code).toBe(2);
    expect(split.stderr).toContain("--split fma: expected auto, stratified, none, sturm");
  }, SLOW);

  test("bad usage exits 2 with what is wrong", () => {
    const cases: [string[], string][] = [
      [["dataset", "split", manifest, "--ratios", "80,20"], "--ratios 80,20: expected three non-negative numbers"],
      [["dataset", "build", "--source", "nope"], 'no source plugin named "nope"'],
      [["dataset", "build", "--source", "gtzan", "--per-class", "3"], "--per-class: source gtzan has no per_class param"],
      [["dataset", "build", "--source", "gtzan"], 'gtzan: parameter "path": is required'],
      [["dataset", "build", "--source", "synthetic", "--param", "styles=polka"], "synthetic: parameter"],
      [["dataset", "split", manifest, "--group", "album"], "--group album: expected one of auto, artist, track"],
    ];
    for (const [args, message] of cases) {
      const r = runClave(args);
      expect([args.join(" "), r.code]).toEqual([args.join(" "), 2]);
      expect(r.stderr).toContain(message);
    }
  }, SLOW);

  test("--help of each subcommand shows examples", () => {
    for (const sub of ["build", "validate", "stats", "split"]) {
      const r = runClave(["dataset", sub, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("clave dataset");
      expect(r.stdout).toMatch(/Examples?:/);
    }
  }, SLOW);
});
