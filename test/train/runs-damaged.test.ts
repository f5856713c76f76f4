/**
 * Run folders that are not whole: damaged runs are listed as damaged with the reason (by scanRuns
 * and `clave runs`), readRun refuses them naming what is missing, temporary folders left by a process
 * killed with -9 are removed when runs are next listed or written, and a run that cannot be written
 * names the path.
 */
import { describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import {
  builtinPlugins,
  createRegistry,
  ndarray,
  readRun,
  removeStalePartials,
  resolveFeatureSpec,
  RunError,
  scanRuns,
  trainRun,
  type ModelPlugin,
  type SegmentSet,
} from "../../index.ts";
import { ROOT, runClave, tempDir } from "../helpers.ts";

const mlp = builtinPlugins.find((p) => p.kind === "model" && p.name === "mlp") as ModelPlugin;
const dir = tempDir("clave-runs-damaged-");
const labels = ["a", "b"];

/** Two well-separated classes of 8-dim examples, one track per example. */
function examples(n: number, prefix: string): SegmentSet {
  const x = new Float32Array(n * 8);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let d = 0; d < 8; d++) x[i * 8 + d] = (y[i] ? 1 : -1) + 0.1 * Math.sin(7 * i + d);
  }
  return { x: ndarray(x, [n, 8]), y, tracks: Array.from({ length: n }, (_, i) => `${prefix}/${i}`) };
}

const tiny = { hidden_units: [4], epochs: 1 };

/** The pid of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
  await new Promise((resolve) => child.on("exit", resolve));
  return child.pid!;
}

function partial(runsDir: string, name: string, options: { owner?: { pid: number; host: string }; checkpoint?: boolean; ageHours?: number }): string {
  const path = join(runsDir, `.partial-${name}`);
  mkdirSync(path, { recursive: true });
  if (options.owner) writeFileSync(join(path, "owner.json"), JSON.stringify(options.owner));
  if (options.checkpoint) {
    mkdirSync(join(path, "checkpoint"));
    writeFileSync(join(path, "checkpoint", "model.json"), "{}");
  }
  if (options.ageHours) {
    const when = new Date(Date.now() - options.ageHours * 3600_000);
    utimesSync(path, when, when);
  }
  return path;
}

describe("damaged runs", () => {
  const runsDir = join(dir, "runs");
  let good: string;

  test("are listed as damaged with the reason, next to the whole runs; readRun refuses them", async () => {
    const result = await trainRun({ model: mlp, params: tiny, labels, train: examples(20, "t"), test: examples(6, "s"), runsDir, progress: false });
    good = result.dir;
    const copy = (name: string) => {
      cpSync(good, join(runsDir, name), { recursive: true });
      return join(runsDir, name);
    };
    writeFileSync(join(copy("bad-json"), "run.json"), "{ not json");
    rmSync(join(copy("no-weights"), "model", "weights.bin"));
    writeFileSync(join(copy("not-a-summary"), "run.json"), "[1, 2]");
    mkdirSync(join(runsDir, "empty"));

    const listing = await scanRuns(runsDir);
    expect(listing.runs.map((r) => r.id)).toEqual([result.id]);
    expect(listing.damaged.map((d) => [d.id, d.reason.replace(/\(.*\)/, "(…)")])).toEqual([
      ["bad-json", "run.json: not valid JSON (…)"],
      ["empty", "run.json, config.json, dataset.json, backend.json, history.json, metrics.json, confusion.csv, model/model.json, model/weights.bin missing"],
      ["no-weights", "model/weights.bin missing"],
      ["not-a-summary", "run.json is not a run summary: no id, created, model, segment"],
    ]);
    const error = (await readRun(join(runsDir, "no-weights")).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(RunError);
    expect(error.message).toBe(`${join(runsDir, "no-weights")}: a damaged run: model/weights.bin missing`);

    const cli = runClave(["runs", "--runs", runsDir]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(result.id);
    expect(cli.stdout).toContain(`4 damaged or interrupted run folder(s) in ${runsDir}`);
    expect(cli.stdout).toMatch(/no-weights\s+model\/weights\.bin missing/);
    const json = runClave(["runs", "--runs", runsDir, "--json"]);
    expect((JSON.parse(json.stdout) as { id: string }[]).map((r) => r.id)).toEqual([result.id]);
    expect(json.stderr).toContain(`clave: warning: ${join(runsDir, "no-weights")}: model/weights.bin missing`);
    const evaluate = runClave(["evaluate", join(runsDir, "no-weights")]);
    expect(evaluate.code).toBe(1);
    expect(evaluate.stderr).toBe(`clave: ${join(runsDir, "no-weights")}: a damaged run: model/weights.bin missing\n`);
  }, 120_000);
});

describe("temporary run folders", () => {
  test("of ended processes, or old, are removed; live ones and fresh checkpoints are kept", async () => {
    const runsDir = join(dir, "partials");
    const host = hostname();
    const dead = await deadPid();
    const gone = [
      partial(runsDir, "dead", { owner: { pid: dead, host } }),
      partial(runsDir, "dead-old-checkpoint", { owner: { pid: dead, host }, checkpoint: true, ageHours: 25 }),
      partial(runsDir, "unknown-old", { ageHours: 8 * 24 }),
      partial(runsDir, "other-host-old", { owner: { pid: 1, host: `not-${host}` }, ageHours: 8 * 24 }),
    ];
    const kept = [
      partial(runsDir, "alive", { owner: { pid: process.pid, host } }),
      partial(runsDir, "dead-checkpoint", { owner: { pid: dead, host }, checkpoint: true }),
      partial(runsDir, "unknown-fresh", {}),
      partial(runsDir, "other-host-fresh", { owner: { pid: 1, host: `not-${host}` } }),
    ];
    const listing = await scanRuns(runsDir);
    for (const path of gone) expect([path, existsSync(path)]).toEqual([path, false]);
    for (const path of kept) expect([path, existsSync(path)]).toEqual([path, true]);
    // The interrupted run whose checkpoint is kept is listed, saying where its weights are.
    expect(listing.damaged.map((d) => d.id)).toEqual([".partial-dead-checkpoint"]);
    expect(listing.damaged[0].reason).toContain(`its best weights so far are in ${join(kept[1], "checkpoint")}`);
    expect(await removeStalePartials(runsDir)).toEqual([{ name: ".partial-dead-checkpoint", dir: kept[1] }]);
  });

  test("left by a training killed with -9 are removed when runs are next written", async () => {
    const runsDir = join(dir, "killed");
    const script = join(dir, "train-forever.ts");
    writeFileSync(
      script,
      `import { builtinPlugins, ndarray, trainRun } from ${JSON.stringify(join(ROOT, "index.ts"))};
const mlp = builtinPlugins.find((p) => p.kind === "model" && p.name === "mlp");
// A first epoch of a few seconds: the training is killed inside it, before any checkpoint exists.
const n = 200000;
const x = new Float32Array(n * 8).map((_, i) => (i % 16 < 8 ? 1 : -1));
const set = { x: ndarray(x, [n, 8]), y: Int32Array.from({ length: n }, (_, i) => i % 2), tracks: Array.from({ length: n }, (_, i) => String(i)) };
await trainRun({
  model: mlp, params: { hidden_units: [2], epochs: 100000 }, labels: ["a", "b"], train: set, test: set,
  runsDir: ${JSON.stringify(runsDir)}, progress: false,
});`,
    );
    const child = spawn(join(ROOT, "node_modules", ".bin", "bun"), [script], { stdio: ["ignore", "ignore", "inherit"] });
    let ended: number | null | undefined;
    child.on("exit", (code) => (ended = code));
    // Wait (bounded) for the run's temporary folder and its owner file: the training is under way.
    const started = Date.now();
    const partialWithOwner = () =>
      existsSync(runsDir) && readdirSync(runsDir).some((name) => name.startsWith(".partial-") && existsSync(join(runsDir, name, "owner.json")));
    while (!partialWithOwner()) {
      if (ended !== undefined) throw new Error(`the training ended before it was killed (exit ${ended})`);
      if (Date.now() - started > 60_000) throw new Error("the training did not start within 60 s");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const exited = new Promise((resolve) => child.on("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    const left = readdirSync(runsDir).filter((n) => n.startsWith(".partial-"));
    expect(left).toHaveLength(1);
    expect(existsSync(join(runsDir, left[0], "checkpoint"))).toBe(false);

    await trainRun({ model: mlp, params: tiny, labels, train: examples(10, "t"), test: examples(4, "s"), runsDir, progress: false });
    expect(readdirSync(runsDir).filter((n) => n.startsWith("."))).toEqual([]);
  }, 120_000);
});

describe("a run that cannot be written", () => {
  test("names the path and says what failed, in words", async () => {
    const notAFolder = join(dir, "runs-is-a-file");
    writeFileSync(notAFolder, "");
    const error = (await trainRun({ model: mlp, params: tiny, labels, train: examples(10, "t"), test: examples(4, "s"), runsDir: notAFolder, progress: false }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(RunError);
    expect(error.message).toMatch(new RegExp(`^${notAFolder}/\\.partial-\\S+: cannot create the run's folder: `));
    expect(error.message).not.toContain("ENOTDIR:");
  }, 60_000);

  test("clave predict names a file that cannot be read once", async () => {
    const registry = await createRegistry({ config: false });
    const features = resolveFeatureSpec(registry, "rms", {}, {});
    const run = await trainRun({ model: mlp, params: tiny, labels, train: examples(10, "t"), test: examples(4, "s"), runsDir: join(dir, "predict"), features, progress: false });
    const missing = join(dir, "no-such-song.wav");
    const r = runClave(["predict", run.dir, missing]);
    expect(r.code).toBe(1);
    expect(r.stderr.split(missing)).toHaveLength(2);
    expect(r.stderr).toStartWith(`clave: ${missing}: `);
  }, 60_000);
});
