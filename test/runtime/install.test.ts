/**
 * clave as a user gets it: `npm pack`, then `npm install ./clave-*.tgz` in an empty folder, with only
 * Node on the PATH (no Bun, no Deno, no clave checkout to lean on). The published package must carry
 * its build, resolve its dependencies without this repository's overrides, import as ESM and CommonJS,
 * run its CLI and the main job, import under Deno and Bun, and load a TypeScript plugin from a folder
 * where clave is not installed.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { encodeWav16 } from "../../core/dataset/wav.ts";
import { ROOT, tempDir } from "../helpers.ts";

const work = tempDir("clave-install-");
const project = join(work, "project");
const mine = join(work, "mine");
/** The PATH a user has: this one without any node_modules/.bin (where this repo's bun and deno are). */
const userPath = (process.env.PATH ?? "").split(delimiter).filter((p) => !p.includes("node_modules")).join(delimiter);
const userEnv = { ...process.env, PATH: userPath, CLAVE_PROGRESS: "0", npm_config_audit: "false", npm_config_fund: "false" };
delete (userEnv as Record<string, string | undefined>).CLAVE_RUNTIME;

function sh(command: string, args: string[], cwd: string, timeout = 300_000): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: "utf8", env: userEnv, timeout });
}

function ok(result: SpawnSyncReturns<string>, what: string): string {
  if (result.status !== 0) throw new Error(`${what} exited ${result.status} (${result.error?.message ?? ""}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

let tarball = "";

beforeAll(() => {
  // npm pack runs the package's prepack (the build) with this repo's tools.
  const packed = spawnSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: ROOT, encoding: "utf8", timeout: 300_000 });
  ok(packed, "npm pack");
  const json = packed.stdout.slice(packed.stdout.indexOf("["));
  tarball = join(work, (JSON.parse(json) as { filename: string }[])[0].filename);
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "a-user-project", version: "1.0.0", private: true }));
  ok(sh("npm", ["install", tarball], project), "npm install clave-*.tgz");
}, 600_000);

describe("the published package", () => {
  test("ships its build, its sources and its CLI, and no tests, benchmarks or CI files", () => {
    const result = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    ok(result, "npm pack --dry-run");
    const files = (JSON.parse(result.stdout.slice(result.stdout.indexOf("["))) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    for (const needed of ["dist/esm/index.js", "dist/esm/cli.js", "dist/cjs/index.cjs", "dist/types/index.d.ts", "bin/clave.js", "index.ts", "package.json"]) {
      expect(files).toContain(needed);
    }
    for (const f of files) expect(f).not.toMatch(/^(test|bench|\.ci|notebooks|data|runs)\//);
  });

  test("the user's PATH has Node and npm, and neither Bun nor Deno", () => {
    expect(sh("node", ["--version"], project).status).toBe(0);
    expect(sh("bun", ["--version"], project).error).toBeDefined();
    expect(sh("deno", ["--version"], project).error).toBeDefined();
  });

  test("installs with the dependency versions the registry serves (no overrides reach a user)", () => {
    const lock = JSON.parse(readFileSync(join(project, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
    expect(lock.packages["node_modules/arquero"]?.version).toMatch(/^8\./);
    expect(lock.packages["node_modules/@uwdata/flechette"]?.version).toBeDefined();
  });

  test("Node: import() and require() of clave", () => {
    const esm = ok(sh("node", ["-e", 'import("clave").then((m) => console.log(typeof m.createRegistry, typeof m.loadAudio))'], project), "import");
    expect(esm.trim()).toBe("function function");
    const cjs = ok(sh("node", ["-e", 'const m = require("clave"); console.log(typeof m.createRegistry, typeof m.defineFeature)'], project), "require");
    expect(cjs.trim()).toBe("function function");
  });

  test("Deno and Bun import clave from the project's node_modules", () => {
    writeFileSync(join(project, "list.mjs"), 'import { createRegistry } from "clave";\nconst r = await createRegistry({ config: false });\nconsole.log(r.describe().length);\n');
    const deno = ok(sh(join(ROOT, "node_modules", ".bin", "deno"), ["run", "-A", "list.mjs"], project), "deno");
    const bun = ok(sh(join(ROOT, "node_modules", ".bin", "bun"), ["list.mjs"], project), "bun");
    expect(Number(deno.trim())).toBeGreaterThanOrEqual(30);
    expect(bun.trim()).toBe(deno.trim());
  }, 120_000);

  test("npx clave --help", () => {
    const help = ok(sh("npx", ["clave", "--help"], project), "npx clave --help");
    expect(help).toContain("Usage: clave");
    expect(help).toContain("run");
  });

  test("a TypeScript plugin in a folder without clave loads through `--plugin` (import from \"clave\" is the running clave)", () => {
    mkdirSync(mine);
    // The README's example plugin, as a user would save it.
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const crest = readme.slice(readme.indexOf("// crest.ts"), readme.indexOf("```", readme.indexOf("// crest.ts")));
    writeFileSync(join(mine, "crest.ts"), crest);
    const listed = ok(sh("npx", ["clave", "--plugin", join(mine, "crest.ts"), "plugins", "--kind", "feature", "--json"], project), "plugins");
    expect(listed).toContain('"crest"');
    const audio = join(project, "clip.wav");
    writeFileSync(audio, encodeWav16(Float32Array.from({ length: 22050 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / 22050)), 22050));
    const out = join(project, "out");
    ok(sh("npx", ["clave", "--plugin", join(mine, "crest.ts"), "features", "extract", audio, "--features", "crest", "--out", out, "--no-cache"], project), "extract");
    expect(existsSync(join(out, "crest.npy"))).toBe(true);
    // The bundled plugin's temporary file is gone.
    expect(readdirSync(mine)).toEqual(["crest.ts"]);
  }, 120_000);

  test("npx clave run: the main job, on Node alone", () => {
    const result = sh("npx", ["clave", "run"], project, 600_000);
    ok(result, "npx clave run");
    expect(result.stdout).toMatch(/run \S+: \d+ epochs/);
    const runs = readdirSync(join(project, "runs")).filter((d) => !d.startsWith("."));
    expect(runs.length).toBe(1);
    const metrics = JSON.parse(readFileSync(join(project, "runs", runs[0], "metrics.json"), "utf8")) as Record<string, unknown>;
    expect(Object.keys(metrics).length).toBeGreaterThan(0);
  }, 600_000);
});
