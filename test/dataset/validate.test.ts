/**
 * `validate` finds the planted faults and nothing else: in fixtures as built (a duplicate under
 * another label, a short excerpt), and after faults are planted in the built dataset (a deleted
 * file, an edited file, a file replaced by garbage, a duplicated row, an artist put on both sides).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildManifest } from "../../core/dataset/build.ts";
import { readManifest, trackPath, writeManifest, type Manifest } from "../../core/dataset/manifest.ts";
import { validateManifest, type ValidationIssue } from "../../core/dataset/validate.ts";
import { resolveParams } from "../../core/params.ts";
import type { SourcePlugin } from "../../core/plugin.ts";
import folder from "../../plugins/sources/folder.ts";
import fma from "../../plugins/sources/fma.ts";
import gtzan from "../../plugins/sources/gtzan.ts";
import synthetic from "../../plugins/sources/synthetic.ts";
import { tempDir } from "../helpers.ts";
import { makeFma, makeFolder, makeGtzanOriginal } from "./fixtures.ts";

// Real ffmpeg runs and whole builds: slower than a unit test on a loaded 2-core machine.
const SLOW = 60_000;

const dir = tempDir("clave-validate-");

async function build(source: SourcePlugin, values: Record<string, unknown>, name: string): Promise<Manifest> {
  const out = join(dir, name, "manifest.csv");
  await buildManifest(source, resolveParams(source, values) as Record<string, unknown>, { out });
  return readManifest(out);
}

const summary = (issues: ValidationIssue[]) => issues.map((i) => `${i.kind} ${i.id}`);
let gtzanFixture: ReturnType<typeof makeGtzanOriginal>;
let folderFixture: ReturnType<typeof makeFolder>;

beforeAll(() => {
  gtzanFixture = makeGtzanOriginal(join(dir, "gtzan"));
  folderFixture = makeFolder(join(dir, "salsa"));
  makeFma(join(dir, "fma"));
}, 60_000);

describe("validate finds exactly the planted faults", () => {
  test("gtzan as built: the duplicate under another genre and the short excerpt", async () => {
    const m = await build(gtzan, { path: join(dir, "gtzan") }, "gtzan");
    const report = await validateManifest(m);
    expect(summary(report.issues)).toEqual([`duplicate ${gtzanFixture.duplicate.copy}`, `duration ${gtzanFixture.short}`]);
    expect(report.issues[0].detail).toBe("same file content as gtzan/blues.00029 under another label (jazz here, blues there)");
    expect(report.issues[1].detail).toBe("0.50 s, expected about 2.00 s");
    expect(report.expectedDuration).toBeCloseTo(2, 3);
    expect(report.checked).toBe(m.rows.length);
  }, SLOW);

  test("gtzan after planting: a missing file, an edited file, garbage in place of audio, a repeated row, an artist on two sides", async () => {
    const m = await readManifest(join(dir, "gtzan", "manifest.csv"));
    const file = (id: string) => trackPath(m, m.rows.find((r) => r.id === id)!);
    rmSync(file("gtzan/blues.00000"));
    const edited = readFileSync(file("gtzan/blues.00012"));
    edited[edited.length - 100] ^= 0x55;
    writeFileSync(file("gtzan/blues.00012"), edited);
    writeFileSync(file("gtzan/classical.00000"), "garbage, not audio\n".repeat(40));
    const planted: Manifest = {
      ...m,
      rows: [
        ...m.rows.map((r) =>
          r.id === "gtzan/classical.00011" || r.id === "gtzan/classical.00030" ? { ...r, artist: "Same Composer" } : r,
        ),
        { ...m.rows.find((r) => r.id === "gtzan/jazz.00002")! },
      ],
    };
    const report = await validateManifest(planted);
    expect(summary(report.issues)).toEqual([
      "missing gtzan/blues.00000",
      "hash_mismatch gtzan/blues.00012",
      "hash_mismatch gtzan/classical.00000",
      "undecodable gtzan/classical.00000",
      "duplicate_id gtzan/jazz.00002",
      `duplicate ${gtzanFixture.duplicate.copy}`,
      `duration ${gtzanFixture.short}`,
      "leak gtzan/classical.00011",
    ]);
    expect(report.issues.find((i) => i.kind === "leak")!.detail).toBe('artist "Same Composer" in split test and train (gtzan/classical.00011, gtzan/classical.00030)');
    // Header-only checks still see the missing, edited and garbage files.
    const quick = await validateManifest(planted, { decode: false });
    expect(summary(quick.issues)).toContain("undecodable gtzan/classical.00000");
    expect(summary(quick.issues)).toContain("missing gtzan/blues.00000");
  }, SLOW);

  test("folder: the byte copy under another label, nothing else", async () => {
    const m = await build(folder, { path: join(dir, "salsa") }, "salsa");
    expect(summary((await validateManifest(m)).issues)).toEqual([`duplicate ${folderFixture.duplicate.copy}`]);
  }, SLOW);

  test("fma and synthetic as built: no issue", async () => {
    const f = await build(fma, { path: join(dir, "fma") }, "fma");
    expect((await validateManifest(f)).issues).toEqual([]);
    const s = await build(synthetic, { per_class: 3, seconds: 1 }, "synthetic");
    expect((await validateManifest(s)).issues).toEqual([]);
  }, SLOW);

  test("a given expected duration and tolerance", async () => {
    const s = await readManifest(join(dir, "synthetic", "manifest.csv"));
    const report = await validateManifest(s, { expectedDuration: 30, decode: false, hash: false });
    expect(report.issues).toHaveLength(s.rows.length);
    expect(report.issues.every((i) => i.kind === "duration" && i.detail === "1.00 s, expected about 30.00 s")).toBe(true);
    expect((await validateManifest(s, { expectedDuration: 1.05, tolerance: 0 })).issues).toEqual([]);
  }, SLOW);

  test("a fold column is checked for leaks too", async () => {
    const s = await readManifest(join(dir, "synthetic", "manifest.csv"));
    const folds: Manifest = { ...s, extraColumns: [...s.extraColumns, "fold"], rows: s.rows.map((r, i) => ({ ...r, artist: i < 2 ? "Twin" : "", extra: { ...r.extra, fold: String(i % 3) } })) };
    const out = join(dir, "synthetic", "folds.csv");
    await writeManifest(out, folds);
    const issues = (await validateManifest(await readManifest(out))).issues;
    expect(issues.filter((i) => i.kind === "leak").map((i) => i.detail)).toContain('artist "Twin" in fold 0 and 1 (synthetic/son_clave/0000, synthetic/son_clave/0001)');
  }, SLOW);
});
