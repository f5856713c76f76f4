/**
 * `clave features extract | dataset` (and `clave train` for plugin features and a cache it cannot
 * write) on input that tries to escape, hang or lie: hashes that are paths, FIFOs and devices, audio
 * replaced after the manifest was made, file names that climb out of --out or collide, folders and
 * symlink loops in a batch, NaN/Inf features, leftovers of killed runs, stores that cannot be written,
 * plugin features in worker threads. Every run is the real CLI on real files, bounded in time.
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readNpySync } from "../../core/npy.ts";
import { REFERENCE, ROOT, tempDir } from "../helpers.ts";
import { ffmpeg } from "../audio/fixtures.ts";

const SYNTH = join(REFERENCE, "audio", "synth_22050.wav");
const REAL = join(REFERENCE, "audio", "real_22050_stereo.wav");
const HEADER = "id,label,artist,title,source,path,hash,duration_s,sr,split\n";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as users run it (bin/clave.js), killed if it takes over two minutes: a hang fails the test, never blocks it. */
function clave(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Run {
  const r = spawnSync("node", [join(ROOT, "bin", "clave.js"), ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: "utf8",
    env: { ...process.env, CLAVE_PROGRESS: "0", ...options.env },
    timeout: 120_000,
    killSignal: "SIGKILL",
  });
  if (r.signal) throw new Error(`clave ${args.join(" ")} did not finish (killed by ${r.signal}): ${r.stderr}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function mkfifo(path: string): void {
  const r = spawnSync("mkfifo", [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path} failed`);
}

/** Every file under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

/** A short clip (2 s of a 440 Hz sine at 22050 Hz, s16 WAV) made by ffmpeg. */
function sineWav(path: string, frequency = 440): string {
  ffmpeg(["-f", "lavfi", "-i", `sine=frequency=${frequency}:sample_rate=22050:duration=2`, "-c:a", "pcm_s16le", path]);
  return path;
}

/** The README's `crest` feature plugin, written as a user writes it (importing "clave"). */
function crestPlugin(dir: string): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const example = /```ts\n(\/\/ crest\.ts[\s\S]*?)```/.exec(readme)?.[1];
  if (!example) throw new Error("README has no crest example");
  const file = join(dir, "crest.ts");
  writeFileSync(file, example);
  return file;
}

/** A feature plugin file; `body` is the extract function's body (it gets `y`). */
function pluginFile(dir: string, name: string, body: string): string {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(
    file,
    `import { defineFeature, ndarray, z } from "clave";
export default defineFeature({
  name: ${JSON.stringify(name)},
  description: "test feature",
  params: z.object({}),
  shape: () => [2],
  extract({ y }) {
${body}
  },
});
`,
  );
  return file;
}

describe("features dataset: the manifest's hash is never a path, never trusted over the file", () => {
  test("a hash that climbs out of the store writes nothing outside it, and the track is refused", () => {
    const dir = tempDir();
    const data = join(dir, "data");
    mkdirSync(data);
    sineWav(join(data, "a.wav"));
    // Relative to <store>/<h[0:2]>/<h>, this lands in <dir>/escaped.
    const evil = "../../../escaped";
    writeFileSync(join(data, "manifest.csv"), `${HEADER}a,x,,,folder,a.wav,${evil},,,train\n`);
    const r = clave(["features", "dataset", join(data, "manifest.csv"), "--features", "rms", "--workers", "1"]);
    expect(r.code).toBe(1);
    expect(existsSync(join(dir, "escaped"))).toBe(false);
    expect(tree(dir).filter((f) => !f.startsWith("data"))).toEqual([]);
    // Refused either when the manifest is read or as the track's failure; either way the value is named.
    expect(r.stderr).toContain(evil.slice(0, 12));
  });

  test("audio replaced after the manifest was made: a failure naming the path, never the old features", () => {
    const dir = tempDir();
    const a = sineWav(join(dir, "a.wav"), 440);
    const b = sineWav(join(dir, "b.wav"), 880);
    writeFileSync(join(dir, "manifest.csv"), `${HEADER}a,x,,,folder,a.wav,${sha256(a)},,,train\nb,y,,,folder,b.wav,,,,train\n`);
    const args = ["features", "dataset", join(dir, "manifest.csv"), "--features", "rms", "--workers", "1"];
    const first = clave(args);
    expect(first.stderr).toBe("");
    expect(first.stdout).toContain("2 of 2 tracks done (2 computed, 0 already stored)");
    const rmsOf = (id: string) => {
      const row = readFileSync(join(dir, "features", "index.csv"), "utf8").split("\n").find((l) => l.startsWith(`${id},`))!.split(",");
      return { hash: row[3], rms: Number(readNpySync(join(dir, "features", row[4])).data[10]) };
    };
    const bBefore = rmsOf("b");

    // Other audio in both files: a's manifest hash now lies, b has none (its bytes decide).
    sineWav(a, 220);
    ffmpeg(["-f", "lavfi", "-i", "sine=frequency=880:sample_rate=22050:duration=2", "-af", "volume=0.25", "-c:a", "pcm_s16le", b]);
    const second = clave(args);
    expect(second.code).toBe(1);
    expect(second.stdout).toContain("1 of 2 tracks done (1 computed, 0 already stored)");
    expect(second.stderr).toContain(`a (${a}): ${a}: its content does not match the manifest's hash`);
    const bAfter = rmsOf("b");
    expect(bAfter.hash).toBe(sha256(b));
    expect(bAfter.rms).toBeCloseTo(bBefore.rms / 4, 3);
    // The index lists only what matches the files now.
    expect(readFileSync(join(dir, "features", "index.csv"), "utf8").split("\n").filter((l) => l.startsWith("a,"))).toEqual([]);
  });

  test("two rows with one id are refused before anything is extracted", () => {
    const dir = tempDir();
    sineWav(join(dir, "a.wav"));
    sineWav(join(dir, "b.wav"), 880);
    writeFileSync(join(dir, "manifest.csv"), `${HEADER}t,x,,,folder,a.wav,,,,train\nt,y,,,folder,b.wav,,,,train\n`);
    const r = clave(["features", "dataset", join(dir, "manifest.csv"), "--features", "rms"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"t"');
    expect(existsSync(join(dir, "features", "index.csv"))).toBe(false);
  });
});

describe("no input hangs a batch", () => {
  const dir = tempDir();
  const good = sineWav(join(dir, "good.wav"));
  const fifo = join(dir, "pipe.wav");
  mkfifo(fifo);

  test("features dataset: a FIFO and /dev/zero are refused as not regular files; the batch goes on", () => {
    writeFileSync(join(dir, "manifest.csv"), `${HEADER}good,x,,,folder,good.wav,,,,train\npipe,x,,,folder,${fifo},,,,train\nzero,y,,,folder,/dev/zero,,,,train\n`);
    const r = clave(["features", "dataset", join(dir, "manifest.csv"), "--features", "rms", "--workers", "2"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("1 of 3 tracks done");
    expect(r.stderr).toContain(`pipe (${fifo}): ${fifo}: is a FIFO (named pipe), not a regular file`);
    expect(r.stderr).toContain("zero (/dev/zero): /dev/zero: is a character device, not a regular file");
  });

  test("features extract: a FIFO, alone or in a batch, is refused with or without the cache", () => {
    const env = { CLAVE_CACHE_DIR: join(dir, "cache") };
    const batch = clave(["features", "extract", good, fifo, "--features", "rms", "--out", join(dir, "o")], { env });
    expect(batch.code).toBe(1);
    expect(batch.stderr).toContain(`${fifo}: is a FIFO (named pipe), not a regular file`);
    expect(existsSync(join(dir, "o", "good", "rms.npy"))).toBe(true);
    const alone = clave(["features", "extract", fifo, "--features", "rms", "--out", join(dir, "o2"), "--no-cache"], { env });
    expect(alone.code).toBe(1);
    expect(alone.stderr).toMatch(/pipe\.wav: is (a FIFO \(named pipe\), )?not a regular file/);
  });

  test("a clip over --clip-timeout is stopped and reported; the next clips go on in a new worker", () => {
    const work = tempDir();
    // Never returns on the long clip; the short ones are quick.
    const plugin = pluginFile(work, "stuck", `    if (y.length > 30000) { for (;;) {} }\n    return ndarray(new Float32Array([y.length, 1]), [2]);`);
    ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050:duration=3", "-c:a", "pcm_s16le", join(work, "long.wav")]);
    ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050:duration=1", "-c:a", "pcm_s16le", join(work, "short.wav")]);
    writeFileSync(join(work, "manifest.csv"), `${HEADER}long,x,,,folder,long.wav,,,,train\nshort,y,,,folder,short.wav,,,,train\n`);
    const r = clave(["--plugin", plugin, "features", "dataset", join(work, "manifest.csv"), "--features", "stuck", "--workers", "1", "--clip-timeout", "3"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("1 of 2 tracks done (1 computed");
    expect(r.stderr).toContain(`long (${join(work, "long.wav")}): took longer than 3 s`);
    const bad = clave(["features", "dataset", join(work, "manifest.csv"), "--features", "rms", "--clip-timeout", "0"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--clip-timeout 0");
  }, 180_000);
});

describe("features extract: outputs stay inside --out and never collide", () => {
  test("'...wav', a/x.wav and b/x.wav, X.wav, odd characters: each its own folder under --out", () => {
    const dir = tempDir();
    const files = [join(dir, "...wav"), join(dir, "a", "x.wav"), join(dir, "b", "x.wav"), join(dir, "X.wav"), join(dir, "a b&c;$(x).wav"), join(dir, ".hidden.wav")];
    mkdirSync(join(dir, "a"));
    mkdirSync(join(dir, "b"));
    sineWav(files[0], 220);
    for (const [i, f] of files.slice(1).entries()) sineWav(f, 300 + 100 * i);
    const parent = join(dir, "outputs");
    const out = join(parent, "o");
    const r = clave(["features", "extract", ...files, "--features", "zero_crossing_rate", "--out", out, "--no-cache"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(readdirSync(parent)).toEqual(["o"]);
    expect(readdirSync(out).sort()).toEqual(["X-3", "a_b_c_x_", "audio", "hidden", "x", "x-2"]);
    // Each folder holds its own file's features: six different sines, six different arrays.
    const values = readdirSync(out).map((d) => readNpySync(join(out, d, "zero_crossing_rate.npy")).data[40]);
    expect(new Set(values).size).toBe(6);
    expect(r.stdout).toContain(`${files[0]}: zero_crossing_rate [1, 87] -> ${join(out, "audio", "zero_crossing_rate.npy")}`);
    expect(r.stdout).toContain(`${files[2]}: zero_crossing_rate [1, 87] -> ${join(out, "x-2", "zero_crossing_rate.npy")}`);
  });
});

describe("a batch goes on past files it cannot read, naming each", () => {
  const dir = tempDir();
  const good = sineWav(join(dir, "good.wav"));
  const folder = join(dir, "folder.wav");
  mkdirSync(folder);
  const missing = join(dir, "missing.wav");
  const dangling = join(dir, "dangling.wav");
  symlinkSync(join(dir, "nowhere.wav"), dangling);
  const loop = join(dir, "loop.wav");
  symlinkSync(loop, loop);
  // Tests run as root, which reads a chmod-000 file anyway; a folder and a dangling symlink are the
  // unreadable inputs root cannot get past.
  const expected: [string, RegExp][] = [
    [folder, /is a (folder|directory), not a/],
    [missing, /does not exist \(ENOENT\)/],
    [dangling, /does not exist \(ENOENT\)/],
    [loop, /too many symbolic links \(ELOOP\)/],
  ];
  // Node's own messages, which name no path or say it twice.
  const raw = /illegal operation|no such file or directory|, open '|, read$/m;

  test("features extract: every failure with its path and in words, the good file done, exit 1", () => {
    const r = clave(["features", "extract", folder, good, missing, dangling, loop, "--features", "rms", "--out", join(dir, "o")], {
      env: { CLAVE_CACHE_DIR: join(dir, "cache") },
    });
    expect(r.code).toBe(1);
    expect(existsSync(join(dir, "o", "good", "rms.npy"))).toBe(true);
    expect(r.stderr).toContain("4 of 5 files failed");
    for (const [path, words] of expected) {
      const line = r.stderr.split("\n").find((l) => l.trim().startsWith(`${path}:`));
      expect([path, line]).toEqual([path, expect.stringMatching(words)]);
    }
    expect(r.stderr).not.toMatch(raw);
  });

  test("a single missing file: one clean line, not a raw ENOENT", () => {
    for (const cache of [[], ["--no-cache"]]) {
      const r = clave(["features", "extract", missing, "--features", "rms", "--out", join(dir, "o1"), ...cache], { env: { CLAVE_CACHE_DIR: join(dir, "cache") } });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`clave: ${missing}: does not exist (ENOENT)`);
    }
  });

  test("audio info: the same inputs, each named, the good one listed, exit 1", () => {
    const r = clave(["audio", "info", folder, good, missing, dangling, loop]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(good);
    for (const [path, words] of expected) {
      const line = r.stderr.split("\n").find((l) => l.startsWith(`clave: ${path}:`));
      expect([path, line]).toEqual([path, expect.stringMatching(words)]);
    }
    expect(r.stderr).toContain("4 of 5 file(s) could not be read");
    expect(r.stderr).not.toMatch(raw);
  });
});

describe("NaN and Inf features are refused before anything is cached or written", () => {
  const dir = tempDir();
  // ±1e30 float samples are finite, but their power overflows float32.
  const raw = new Float32Array(22050).map((_, i) => ((i >> 5) % 2 ? 1e30 : -1e30));
  writeFileSync(join(dir, "loud.f32"), new Uint8Array(raw.buffer));
  const loud = join(dir, "loud.wav");
  ffmpeg(["-f", "f32le", "-ar", "22050", "-ac", "1", "-i", join(dir, "loud.f32"), "-c:a", "pcm_f32le", loud]);
  const good = sineWav(join(dir, "good.wav"));
  const nan = pluginFile(dir, "nan_feature", "    return ndarray(new Float32Array([1, NaN]), [2]);");

  test("features extract: a loud float WAV's melspectrogram, a plugin returning NaN", () => {
    const cache = join(dir, "cache");
    const r = clave(["features", "extract", loud, "--features", "melspectrogram", "--out", join(dir, "o")], { env: { CLAVE_CACHE_DIR: cache } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${loud}: feature "melspectrogram": output is not finite`);
    expect(existsSync(join(dir, "o"))).toBe(false);
    expect(tree(cache).filter((f) => f.endsWith(".npy"))).toEqual([]);

    const p = clave(["--plugin", nan, "features", "extract", good, "--features", "nan_feature", "--out", join(dir, "p")], { env: { CLAVE_CACHE_DIR: cache } });
    expect(p.code).toBe(1);
    expect(p.stderr).toContain(`${good}: feature "nan_feature": output is not finite: NaN at index 1`);
    expect(existsSync(join(dir, "p"))).toBe(false);
    expect(tree(cache).filter((f) => f.endsWith(".npy"))).toEqual([]);
  });

  test("features dataset: the clip fails naming the feature; nothing stored for it", () => {
    writeFileSync(join(dir, "manifest.csv"), `${HEADER}loud,x,,,folder,loud.wav,,,,train\ngood,y,,,folder,good.wav,,,,train\n`);
    const r = clave(["--plugin", nan, "features", "dataset", join(dir, "manifest.csv"), "--features", "nan_feature,rms", "--workers", "1", "--out", join(dir, "store")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`loud (${loud}): ${loud}: feature "nan_feature": output is not finite`);
    expect(r.stderr).toContain(`good (${good}): ${good}: feature "nan_feature": output is not finite`);
    expect(tree(join(dir, "store")).filter((f) => f.includes("nan_feature"))).toEqual([]);
  });
});

describe("leftovers of killed runs, stores that cannot be written", () => {
  test("features dataset removes temporaries of dead writers, keeps a live writer's", () => {
    const dir = tempDir();
    const a = sineWav(join(dir, "a.wav"));
    const h = sha256(a);
    const clip = join(dir, "features", h.slice(0, 2), h);
    mkdirSync(clip, { recursive: true });
    const dead = spawnSync("true").pid;
    const hourAgo = new Date(Date.now() - 3600_000);
    const orphan = join(clip, `.rms-0123456789abcdef.npy.${dead}.0badc0de.tmp`);
    const fresh = join(clip, `.rms-0123456789abcdef.npy.${dead}.1badc0de.tmp`);
    const live = join(clip, `.rms-0123456789abcdef.npy.${process.pid}.2badc0de.tmp`);
    const rootOrphan = join(dir, "features", `.index.csv.${dead}.3badc0de.tmp`);
    for (const f of [orphan, fresh, live, rootOrphan]) writeFileSync(f, new Uint8Array(4096));
    for (const f of [orphan, live, rootOrphan]) utimesSync(f, hourAgo, hourAgo);
    writeFileSync(join(dir, "manifest.csv"), `${HEADER}a,x,,,folder,a.wav,,,,train\n`);
    const r = clave(["features", "dataset", join(dir, "manifest.csv"), "--features", "rms", "--workers", "1"]);
    expect(r.code).toBe(0);
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(rootOrphan)).toBe(false);
    // A young temporary may belong to a writer on another host; a live pid's is being written.
    expect(existsSync(fresh)).toBe(true);
    expect(existsSync(live)).toBe(true);
  });

  test("features dataset: a clip whose store folder cannot be written fails naming the path; the report and index stay", () => {
    const dir = tempDir();
    const a = sineWav(join(dir, "a.wav"));
    sineWav(join(dir, "b.wav"), 880);
    const h = sha256(a);
    mkdirSync(join(dir, "features", h.slice(0, 2)), { recursive: true });
    writeFileSync(join(dir, "features", h.slice(0, 2), h), "a file where the clip's folder goes");
    writeFileSync(join(dir, "manifest.csv"), `${HEADER}a,x,,,folder,a.wav,,,,train\nb,y,,,folder,b.wav,,,,train\n`);
    const r = clave(["features", "dataset", join(dir, "manifest.csv"), "--features", "rms", "--workers", "1"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("1 of 2 tracks done");
    expect(r.stderr).toContain(`a (${a}): ${join(dir, "features", h.slice(0, 2), h)}`);
    expect(r.stderr).toContain(`${join(dir, "features", h.slice(0, 2), h)}: is a file, not a folder`);
    expect(readFileSync(join(dir, "features", "index.csv"), "utf8")).toContain("\nb,y,train,");

    // A store that is a file: every track fails with the path, and so does index.csv; the report is whole.
    writeFileSync(join(dir, "store"), "not a folder");
    const s = clave(["features", "dataset", join(dir, "manifest.csv"), "--features", "rms", "--workers", "1", "--out", join(dir, "store")]);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain("2 tracks failed");
    expect(s.stderr).toContain(": cannot create folder: a part of the path is not a folder (ENOTDIR)");
    expect(s.stderr).toContain(`clave: ${join(dir, "store")}: is a file, not a folder`);
  });

  test("features extract: a cache that cannot be written is warned about once; the outputs are written", () => {
    const dir = tempDir();
    const files = [sineWav(join(dir, "a.wav")), sineWav(join(dir, "b.wav"), 880)];
    writeFileSync(join(dir, "cache"), "not a folder");
    const r = clave(["features", "extract", ...files, "--features", "rms,zero_crossing_rate", "--out", join(dir, "o"), "--cache", join(dir, "cache")]);
    expect(r.code).toBe(0);
    expect(r.stderr.match(/warning: the feature cache cannot be written/g)).toHaveLength(1);
    expect(r.stderr).toContain(join(dir, "cache"));
    expect(tree(join(dir, "o"))).toEqual(["a", "a/rms.npy", "a/zero_crossing_rate.npy", "b", "b/rms.npy", "b/zero_crossing_rate.npy"]);
  });
});

describe("plugin features work in features dataset and train as in features extract", () => {
  const dir = tempDir();
  const crest = crestPlugin(dir);

  test("the README's crest: features dataset (Bun), with --aggregate rows keyed by track id", () => {
    const data = join(dir, "data");
    for (const d of ["x", "y", "z"]) {
      mkdirSync(join(data, d), { recursive: true });
      copyFileSync(d === "y" ? REAL : SYNTH, join(data, d, "0000.wav"));
    }
    writeFileSync(join(data, "manifest.csv"), `${HEADER}x/0,a,,,folder,x/0000.wav,,,,train\ny/0,b,,,folder,y/0000.wav,,,,train\nz/0,a,,,folder,z/0000.wav,,,,test\n`);
    const r = clave(["--plugin", crest, "features", "dataset", join(data, "manifest.csv"), "--features", "crest", "--workers", "2", "--aggregate", join(data, "agg.csv")], { cwd: dir });
    expect(r.stderr).toBe("");
    // x and z hold the same bytes: one of them may be served from the other's features.
    expect(r.stdout).toContain("3 of 3 tracks done");
    const index = readFileSync(join(data, "features", "index.csv"), "utf8").trim().split("\n");
    const row = index.find((l) => l.startsWith("x/0,"))!.split(",");
    expect(readNpySync(join(data, "features", row[4])).shape).toEqual([1, 1288]);
    const agg = readFileSync(join(data, "agg.csv"), "utf8").trim().split("\n").map((l) => l.split(","));
    expect(agg[0].slice(0, 3)).toEqual(["id", "filename", "length"]);
    expect(agg.slice(1).map((l) => [l[0], l[1], l.at(-1)])).toEqual([["x/0", "0000.wav", "a"], ["y/0", "0000.wav", "b"], ["z/0", "0000.wav", "a"]]);
  });

  // `npm test` builds dist/ first; Node users run the CLI from it, and its workers load the plugin too.
  test("the README's crest: features dataset under Node, from the build", () => {
    const data = join(dir, "node");
    mkdirSync(data);
    sineWav(join(data, "a.wav"));
    sineWav(join(data, "b.wav"), 880);
    writeFileSync(join(data, "manifest.csv"), `${HEADER}a,x,,,folder,a.wav,,,,train\nb,y,,,folder,b.wav,,,,train\n`);
    const r = clave(["--plugin", crest, "features", "dataset", join(data, "manifest.csv"), "--features", "crest", "--workers", "2"], { cwd: dir, env: { CLAVE_RUNTIME: "node" } });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("2 of 2 tracks done (2 computed, 0 already stored) with 2 workers");
    const row = readFileSync(join(data, "features", "index.csv"), "utf8").trim().split("\n")[1].split(",");
    // A sine's crest factor: sqrt(2), 3.01 dB.
    expect(Number(readNpySync(join(data, "features", row[4])).data[5])).toBeCloseTo(3.01, 1);
  });

  test("a feature defined inline in clave.config.mjs works in features dataset's workers too", () => {
    const project = join(dir, "project");
    mkdirSync(project);
    sineWav(join(project, "a.wav"));
    writeFileSync(
      join(project, "clave.config.mjs"),
      `import { defineFeature, ndarray, z } from "clave";
export default {
  plugins: [defineFeature({
    name: "peak", description: "largest |sample|", params: z.object({}), shape: () => [1],
    extract: ({ y }) => ndarray(new Float32Array([y.reduce((m, v) => Math.max(m, Math.abs(v)), 0)]), [1]),
  })],
};
`,
    );
    writeFileSync(join(project, "manifest.csv"), `${HEADER}a,x,,,folder,a.wav,,,,train\n`);
    const r = clave(["features", "dataset", "manifest.csv", "--features", "peak", "--workers", "1"], { cwd: project });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const row = readFileSync(join(project, "features", "index.csv"), "utf8").trim().split("\n")[1].split(",");
    expect(Number(readNpySync(join(project, "features", row[4])).data[0])).toBeCloseTo(0.125, 2);
  });

  test("the README's crest: clave train, with a cache it cannot write (warned once, trained in memory)", () => {
    const syn = join(dir, "syn");
    const built = clave(["dataset", "build", "--source", "synthetic", "--per-class", "5", "--seconds", "2", "--seed", "1", "--out", join(syn, "manifest.csv")]);
    expect(built.code).toBe(0);
    writeFileSync(join(dir, "cache-file"), "not a folder");
    const r = clave(
      ["--plugin", crest, "train", "--model", "mlp", "--features", "crest", "--dataset", join(syn, "manifest.csv"), "--segment", "1", "--epochs", "1", "--runs", join(dir, "runs"), "--cache", join(dir, "cache-file"), "--json"],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    expect(r.stderr.match(/warning: the feature cache cannot be written/g)).toHaveLength(1);
    const { summary } = JSON.parse(r.stdout) as { summary: { features: string } };
    expect(summary.features).toBe("crest");
  }, 180_000);
});
