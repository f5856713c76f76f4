/**
 * `report()` / `clave report`: one self-contained HTML file per run or folder of runs — every section
 * there, figures inline, nothing fetched, data escaped — that headless Chromium opens and draws.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildDataset, report, train, type Run } from "../../index.ts";
import { decodePng, pixelStats } from "../charts/check.ts";
import { runClave, tempDir } from "../helpers.ts";

const dir = tempDir("clave-report-");
const runsDir = join(dir, "runs");
const quiet = { onWarning: () => {} };
let run: Run;
let second: Run;

beforeAll(async () => {
  const ds = await buildDataset({ source: "synthetic", params: { per_class: 5, seconds: 3, seed: 4 }, out: join(dir, "syn", "manifest.csv"), seed: 4, ...quiet });
  run = await train({ model: "dense2", features: "mfcc", dataset: ds, epochs: 3, segment: 1, runs: runsDir, progress: false, ...quiet });
  second = await train({ model: "mlp", features: "mfcc", dataset: ds, epochs: 3, segment: 1, runs: runsDir, progress: false, ...quiet });
  // An analysis left beside the run, as `clave analyze` writes them; its label carries markup.
  const analysis = join(run.dir, "analysis", "errors");
  mkdirSync(analysis, { recursive: true });
  writeFileSync(join(analysis, "pairs.csv"), 'true,predicted,count\n"<b>son</b>",rumba_clave,2\n');
}, 180_000);

/** The section ids of a report, in order. */
function sectionIds(html: string): string[] {
  return [...html.matchAll(/<section id="([^"]+)">/g)].map((m) => m[1]);
}

describe("report of a run", () => {
  test("every section, figures as inline SVG, nothing fetched, data escaped", async () => {
    const result = await report(run);
    expect(result.file).toBe(join(run.dir, "report.html"));
    const html = readFileSync(result.file, "utf8");
    expect(sectionIds(html)).toEqual(["overview", "dataset", "features", "training", "metrics", "confusion", "analyses"]);
    expect(result.sections).toEqual(sectionIds(html));
    // balance, 3 feature views, training curves, 2 class-score charts, 4 confusion matrices
    expect((html.match(/<svg[\s>]/g) ?? []).length).toBe(11);
    expect(html).toContain("Predicted label");
    for (const label of run.labels) expect(html).toContain(label);
    // Self-contained: no scripts, no external resources (only SVG's namespace URI).
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="https?:/i);
    expect(html).toContain("&lt;b&gt;son&lt;/b&gt;");
    expect(html).not.toContain("<b>son</b>");
    // The accuracy printed is the run's.
    expect(html).toContain(`${(100 * run.evaluation.track!.accuracy).toFixed(2)}%`);
  }, 120_000);

  test("a folder of runs: a comparison table, and the best run in detail", async () => {
    const out = join(dir, "all.html");
    const result = await report(runsDir, { out });
    const html = readFileSync(out, "utf8");
    expect(result.sections[0]).toBe("comparison");
    expect(html).toContain(run.id);
    expect(html).toContain(second.id);
    expect(sectionIds(html)).toContain("confusion");
  }, 120_000);

  test("clave report writes it and says where; a missing run is named", () => {
    const out = join(dir, "cli.html");
    const made = runClave(["report", run.id, "--runs", runsDir, "--out", out]);
    expect(made.code).toBe(0);
    expect(made.stdout).toContain(out);
    expect(existsSync(out)).toBe(true);
    const missing = runClave(["report", "no-such-run", "--runs", runsDir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no-such-run");
  }, 120_000);

  test("headless Chromium opens it offline and draws the figures", () => {
    const shot = join(dir, "report.png");
    const result = spawnSync(
      "chromium",
      ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,2400", `--screenshot=${shot}`, `file://${join(run.dir, "report.html")}`],
      { encoding: "utf8", timeout: 120_000, env: { ...process.env, HOME: dir } },
    );
    expect({ status: result.status, error: result.error?.message }).toEqual({ status: 0, error: undefined });
    const stats = pixelStats(decodePng(readFileSync(shot)));
    // Charts in colour across the page, not a blank or text-only page.
    expect(stats.colours).toBeGreaterThan(200);
    expect(stats.inked).toBeGreaterThan(0.1);
  }, 180_000);
});
