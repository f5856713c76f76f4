/**
 * Latency of `predict` on one 30 s file (bench, not a test): `npx bun bench/predict.ts [--calls N]`.
 *
 * A small synthetic dataset is rendered (30 s clips) and two runs trained for one epoch: cnn2d on
 * the mel spectrogram (the course CNN preset) and lstm on 20 MFCCs. For each run:
 *   - from code, in a fresh process (Bun from sources): the time to import clave, the first
 *     `predict(run, [file])` (cold: tfjs and its wasm backend start, the model loads), and the
 *     median of `--calls` more calls (warm), with the warm call's parts (opening the run and
 *     loading its model, decoding the audio, the features of its 10 segments, the network);
 *   - the CLI end to end, `clave predict <run> <file>`, median wall time of `--calls` runs: under
 *     Bun from sources (node_modules/.bin/bun bin/clave.ts) and under Node from the build
 *     (CLAVE_RUNTIME=node node bin/clave.js; run `npx bun scripts/build.ts` first).
 * Targets (issue 10): warm call ≤ 0.2 s, CLI ≤ 1.2 s. Peak RSS of the in-process child beside.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { peakRssMb } from "./peak-rss.ts";

interface CodeTimes {
  import_ms: number;
  cold_ms: number;
  warm_ms: number;
  parts: { open_ms: number; audio_ms: number; features_ms: number; network_ms: number };
  peak_mb: number;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const root = fileURLToPath(new URL("..", import.meta.url));

/** In this (child) process: predict from code, cold then warm. */
async function child(run: string, file: string, calls: number): Promise<void> {
  const t0 = performance.now();
  const clave = await import("../index.ts");
  const importMs = performance.now() - t0;
  const { loadAudio } = await import("../core/audio/load.ts");
  const { trackExamples } = await import("../core/run/features.ts");
  const { predictRunModel } = await import("../core/run/use.ts");
  const { registryOrDefault } = await import("../core/defaults.ts");
  const c0 = performance.now();
  await clave.predict(run, [file]);
  const coldMs = performance.now() - c0;
  const warm: number[] = [];
  for (let i = 0; i < calls; i++) {
    const w0 = performance.now();
    const p = await clave.predict(run, [file]);
    warm.push(performance.now() - w0);
    if (p.failures.length > 0) throw new Error(`bench/predict.ts: ${p.failures[0].file}: ${p.failures[0].error}`);
  }
  // The same steps as core/run/predict.ts, timed one by one.
  const parts: number[][] = [[], [], [], []];
  for (let i = 0; i < calls; i++) {
    let a = performance.now();
    const lap = (k: number) => {
      const b = performance.now();
      parts[k].push(b - a);
      a = b;
    };
    const opened = await clave.openRun(run);
    const loaded = await opened.model();
    const spec = opened.config.features!;
    const plugin = (await registryOrDefault(opened.registry)).feature(spec.plugin);
    lap(0);
    const signal = await loadAudio(file, { sr: spec.sr });
    lap(1);
    const examples = await trackExamples(signal, file, spec, plugin, { source: file });
    lap(2);
    await predictRunModel(loaded, examples.x);
    lap(3);
  }
  const out: CodeTimes = {
    import_ms: importMs,
    cold_ms: coldMs,
    warm_ms: median(warm),
    parts: { open_ms: median(parts[0]), audio_ms: median(parts[1]), features_ms: median(parts[2]), network_ms: median(parts[3]) },
    peak_mb: peakRssMb(),
  };
  console.log(JSON.stringify(out));
}

const args = process.argv.slice(2);
if (args[0] === "--child") {
  await child(args[1], args[2], Number(args[3]));
  process.exit(0);
}
const i = args.indexOf("--calls");
const calls = i >= 0 ? Number(args[i + 1]) : 5;

function wallMs(command: string, argv: string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const out = spawnSync(command, argv, { encoding: "utf8", env, timeout: 120_000, maxBuffer: 16 << 20 });
  const ms = performance.now() - t0;
  if (out.status !== 0) throw new Error(`${command} ${argv.join(" ")} failed (${out.status ?? out.signal}): ${out.stderr.slice(-2000)}`);
  return ms;
}

const { buildDataset } = await import("../core/dataset/open.ts");
const { registryOrDefault, setBuiltinPlugins } = await import("../core/defaults.ts");
const { builtinPlugins } = await import("../plugins/index.ts");
const { train } = await import("../core/run/study.ts");

const dir = mkdtempSync(join(tmpdir(), "clave-predict-"));
try {
  setBuiltinPlugins(builtinPlugins);
  const registry = await registryOrDefault();
  const quiet = { onWarning: () => {} };
  const ds = await buildDataset({ registry, source: "synthetic", params: { per_class: 4, seconds: 30, seed: 3 }, out: join(dir, "data", "manifest.csv"), seed: 3, ratios: [0.5, 0.25, 0.25], ...quiet });
  const file = join(dir, "data", ds.manifest.rows.find((r) => r.split === "test")!.path);
  const runs = [
    { name: "cnn2d", features: "melspectrogram", featureParams: {} },
    { name: "lstm", features: "mfcc", featureParams: { n_mfcc: 20 } },
  ];
  const bun = join(root, "node_modules", ".bin", "bun");
  const nodeBuild = join(root, "dist", "esm", "cli.js");
  console.log(`predict latency of one 30 s file (10 segments of 3 s); warm = median of ${calls} calls; CLI = median wall time of ${calls} runs${existsSync(nodeBuild) ? "" : " (no dist/: Node not measured)"}\n`);
  const rows: string[][] = [];
  for (const r of runs) {
    const run = await train({ registry, model: r.name, features: r.features, featureParams: r.featureParams, dataset: ds, epochs: 1, runs: join(dir, "runs"), cache: false, ...quiet });
    const code = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", run.dir, file, String(calls)], { encoding: "utf8", timeout: 600_000 });
    if (code.status !== 0) throw new Error(`bench/predict.ts child failed: ${code.stderr.slice(-2000)}`);
    const t = JSON.parse(code.stdout.trim().split("\n").pop()!) as CodeTimes;
    const cliArgs = ["predict", run.dir, file, "--no-segments"];
    const bunCli = median(Array.from({ length: calls }, () => wallMs(bun, [join(root, "bin", "clave.ts"), ...cliArgs], process.env)));
    const nodeCli = existsSync(nodeBuild)
      ? median(Array.from({ length: calls }, () => wallMs(process.env.NODE ?? "node", [join(root, "bin", "clave.js"), ...cliArgs], { ...process.env, CLAVE_RUNTIME: "node" })))
      : undefined;
    const s = (ms: number | undefined) => (ms === undefined ? "—" : (ms / 1000).toFixed(3));
    rows.push([
      r.name,
      s(t.import_ms),
      s(t.cold_ms),
      s(t.warm_ms),
      `${s(t.parts.open_ms)} / ${s(t.parts.audio_ms)} / ${s(t.parts.features_ms)} / ${s(t.parts.network_ms)}`,
      t.peak_mb.toFixed(0),
      s(bunCli),
      s(nodeCli),
    ]);
  }
  const header = ["run", "import s", "cold call s", "warm call s", "warm: open / audio / features / network s", "peak MB", "CLI bun s", "CLI node s"];
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k].length)));
  const line = (cells: string[]) => cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join("  ");
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log(`\ntargets: warm call ≤ 0.2 s, CLI ≤ 1.2 s (wall time, so other work on the machine inflates them).`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
