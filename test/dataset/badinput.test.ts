/**
 * Manifests and dataset commands given bad input: every fault is refused or reported with the file,
 * the row and the value, nothing hangs (FIFOs and /dev/zero are never opened), and nothing printed
 * carries raw terminal escapes.
 */
import { describe, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildManifest } from "../../core/dataset/build.ts";
import { hashFile } from "../../core/dataset/hash.ts";
import { labelCaseWarnings, MANIFEST_COLUMNS, readManifest, writeManifest, type ManifestRow } from "../../core/dataset/manifest.ts";
import { emptySplitWarnings, tracksNeeded } from "../../core/dataset/split.ts";
import { validateManifest } from "../../core/dataset/validate.ts";
import { DatasetError, ManifestError } from "../../core/errors.ts";
import folder from "../../plugins/sources/folder.ts";
import synthetic from "../../plugins/sources/synthetic.ts";
import { runClave, tempDir } from "../helpers.ts";
import { tone } from "./fixtures.ts";

// Real ffmpeg runs and CLI processes: slower than a unit test on a loaded 2-core machine.
const SLOW = 60_000;

const dir = tempDir("clave-badinput-");
const HEADER = MANIFEST_COLUMNS.join(",");
const GOOD_HASH = "0123456789abcdef".repeat(4);

function manifestFile(name: string, lines: readonly string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${[HEADER, ...lines].join("\n")}\n`);
  return file;
}

function mkfifo(path: string): string {
  const r = spawnSync("mkfifo", [path], { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0) throw new Error(`mkfifo ${path} failed: ${r.stderr}`);
  return path;
}

const row = (id: string, label: string, path: string, hash = ""): ManifestRow => ({
  id,
  label,
  artist: "",
  title: "",
  source: "folder",
  path,
  hash,
  duration_s: null,
  sr: null,
  split: "",
  extra: {},
});

async function refusal(file: string): Promise<Error> {
  const error = await readManifest(file).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!error) throw new Error(`${file} was read without an error`);
  return error;
}

describe("readManifest refuses a bad manifest, naming the file, the row and the value", () => {
  test("a hash that is not 64 lower-case hex digits (a path, upper case, too short)", async () => {
    for (const bad of ["../../../../tmp/x", GOOD_HASH.toUpperCase(), GOOD_HASH.slice(1), `${GOOD_HASH} `]) {
      const file = manifestFile("hash.csv", [`a,son,,,folder,a.wav,${GOOD_HASH},,,`, `b,son,,,folder,b.wav,"${bad}",,,`]);
      const error = await refusal(file);
      expect(error).toBeInstanceOf(ManifestError);
      expect(error.message).toBe(`${file}: row 2 (id "b"): hash ${JSON.stringify(bad)} is not a sha256: expected 64 lower-case hex digits, or nothing`);
      expect((error as ManifestError).row).toBe(2);
      expect((error as ManifestError).id).toBe("b");
    }
    // Empty and well-formed hashes pass.
    const ok = await readManifest(manifestFile("hash-ok.csv", [`a,son,,,folder,a.wav,${GOOD_HASH},,,`, "b,son,,,folder,b.wav,,,,"]));
    expect(ok.rows.map((r) => r.hash)).toEqual([GOOD_HASH, ""]);
  });

  test("ids on several rows, each named with its rows", async () => {
    const file = manifestFile("dup.csv", ["a,son,,,folder,a.wav,,,,", "b,son,,,folder,b.wav,,,,", "a,rumba,,,folder,c.wav,,,,", "b,son,,,folder,d.wav,,,,", "c,son,,,folder,e.wav,,,,"]);
    const error = await refusal(file);
    expect(error).toBeInstanceOf(ManifestError);
    expect(error.message).toBe(`${file}: duplicate ids: "a" (rows 1, 3), "b" (rows 2, 4); each track needs its own id`);
  });

  test("an unterminated quote, and text after a closing quote, name the line", async () => {
    const open = manifestFile("quote.csv", ["a,son,,,folder,a.wav,,,,", 'b,son,,"Unfinished title,folder,b.wav,,,,', "c,son,,,folder,c.wav,,,,"]);
    const error = await refusal(open);
    expect(error).toBeInstanceOf(ManifestError);
    expect(error.message).toBe(`${open}: line 3: a quoted field is never closed (a " without its closing ")`);
    const after = manifestFile("quote2.csv", ['a,son,,"Title" extra,folder,a.wav,,,,']);
    expect((await refusal(after)).message).toBe(`${after}: line 2: text after a quoted field's closing quote (quotes inside a field must be doubled, "")`);
    // Quoted commas, doubled quotes and line breaks are fine.
    const fine = await readManifest(manifestFile("quote-ok.csv", ['a,son,,"A ""big"", hit\nsecond line",folder,a.wav,,,,']));
    expect(fine.rows[0].title).toBe('A "big", hit\nsecond line');
  });

  test("a number that is not one names the row and id; a missing, folder or FIFO manifest is named in words", async () => {
    const file = manifestFile("num.csv", ["a,son,,,folder,a.wav,,thirty,,"]);
    expect((await refusal(file)).message).toBe(`${file}: row 1 (id "a"): duration_s "thirty" is not a number`);
    const missing = join(dir, "nope.csv");
    const gone = await refusal(missing);
    expect(gone).toBeInstanceOf(DatasetError);
    expect(gone.message).toBe(`${missing}: cannot read the manifest: does not exist (ENOENT)`);
    expect((await refusal(dir)).message).toBe(`${dir}: cannot read the manifest: is a folder, not a regular file`);
    const fifo = mkfifo(join(dir, "fifo.csv"));
    expect((await refusal(fifo)).message).toBe(`${fifo}: cannot read the manifest: is a FIFO (named pipe), not a regular file`);
  });

  test("labels that differ only in case are warned about, with their counts", () => {
    const rows = [row("1", "Salsa", "1.wav"), row("2", "salsa", "2.wav"), row("3", "salsa", "3.wav"), row("4", "son", "4.wav")];
    expect(labelCaseWarnings(rows)).toEqual(['labels "Salsa" (1 tracks), "salsa" (2 tracks) differ only in case: they are 2 classes']);
    expect(labelCaseWarnings(rows.slice(1))).toEqual([]);
  });
});

describe("writing a manifest", () => {
  test("removes the temporaries a writer killed mid-write left beside it", async () => {
    const root = join(dir, "temporaries");
    mkdirSync(root, { recursive: true });
    const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
    await new Promise((resolve) => child.on("exit", resolve));
    const stale = join(root, `.manifest.csv.${child.pid}.0123abcd.tmp`);
    const live = join(root, `.manifest.csv.${process.pid}.4567abcd.tmp`);
    for (const path of [stale, live]) {
      writeFileSync(path, "id,label\n");
      const when = new Date(Date.now() - 20 * 60_000);
      utimesSync(path, when, when);
    }
    await writeManifest(join(root, "manifest.csv"), { root, extraColumns: [], rows: [row("a", "son", "a.wav")] });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect((await readManifest(join(root, "manifest.csv"))).rows.map((r) => r.id)).toEqual(["a"]);
  });
});

describe("validate refuses paths that are not regular files, and goes on", () => {
  test("a FIFO, /dev/zero and a folder are reported without being opened; the good row is checked", async () => {
    const root = join(dir, "validate");
    mkdirSync(join(root, "son"), { recursive: true });
    const good = tone(join(root, "son", "good.wav"), 1);
    mkfifo(join(root, "son", "pipe.wav"));
    mkdirSync(join(root, "son", "folder.wav"));
    const file = join(root, "manifest.csv");
    await writeManifest(file, {
      root,
      extraColumns: [],
      rows: [
        row("good", "son", "son/good.wav", await hashFile(good)),
        row("pipe", "son", "son/pipe.wav"),
        row("zero", "son", "/dev/zero"),
        row("folder", "son", "son/folder.wav"),
      ],
    });
    const report = await validateManifest(await readManifest(file));
    expect(report.issues.map((i) => [i.kind, i.id, i.detail])).toEqual([
      ["not_a_file", "folder", `${join(root, "son", "folder.wav")}: is a folder, not a regular file`],
      ["not_a_file", "pipe", `${join(root, "son", "pipe.wav")}: is a FIFO (named pipe), not a regular file`],
      ["not_a_file", "zero", "/dev/zero: is a character device, not a regular file"],
    ]);
    expect(report.checked).toBe(4);

    const cli = runClave(["dataset", "validate", file]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/not_a_file\s+pipe\s+\S+pipe\.wav: is a FIFO \(named pipe\), not a regular file/);
    expect(cli.stdout).toContain("3 issue(s) in 4 tracks");
  }, SLOW);

  test("build reports a FIFO and a link to /dev/zero in a folder source, leaves them out, and finishes", async () => {
    const root = join(dir, "build");
    tone(join(root, "son", "a.wav"), 1);
    tone(join(root, "rumba", "b.wav"), 1);
    mkfifo(join(root, "son", "pipe.wav"));
    symlinkSync("/dev/zero", join(root, "son", "zero.wav"));
    symlinkSync(join(root, "rumba", "b.wav"), join(root, "rumba", "linked.wav"));
    const result = await buildManifest(folder, { path: root }, { out: join(root, "manifest.csv") });
    expect(result.manifest.rows.map((r) => r.id).sort()).toEqual(["rumba/b", "rumba/linked", "son/a"]);
    expect(result.problems).toEqual([
      { path: join(root, "son", "pipe.wav"), reason: "is a FIFO (named pipe), not a regular file: left out" },
      { path: join(root, "son", "zero.wav"), reason: "is a character device, not a regular file: left out" },
    ]);
  }, SLOW);
});

describe("what is printed cannot drive the terminal", () => {
  test("escape codes and line breaks in labels and ids are shown escaped by stats, validate and errors", async () => {
    const root = join(dir, "escapes");
    mkdirSync(root, { recursive: true });
    const file = join(root, "manifest.csv");
    await writeManifest(file, {
      root,
      extraColumns: [],
      rows: [
        { ...row("red\x1b[31mid", "\x1b[2Jsalsa", "missing.wav"), split: "train" },
        { ...row("two\nlines", "son", "missing2.wav"), split: "test" },
      ],
    });
    const stats = runClave(["dataset", "stats", file]);
    expect(stats.code).toBe(0);
    expect(stats.stdout).not.toContain("\x1b");
    expect(stats.stdout).toContain("\\x1b[2Jsalsa");
    const validate = runClave(["dataset", "validate", file]);
    expect(validate.stdout + validate.stderr).not.toContain("\x1b");
    expect(validate.stdout).toContain("red\\x1b[31mid");
    expect(validate.stdout).toContain("two\\nlines");
    // An error message carrying the id: the duplicate-id refusal.
    const dup = join(root, "dup.csv");
    writeFileSync(dup, `${HEADER}\n"a\x1b]0;pwned\x07",son,,,folder,a.wav,,,,\n"a\x1b]0;pwned\x07",son,,,folder,b.wav,,,,\n`);
    const refused = runClave(["dataset", "stats", dup]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f]/);
    expect(refused.stderr).toContain("duplicate id");
  }, SLOW);
});

describe("empty parts of a split are warned about, with the tracks a class needs", () => {
  test("tracksNeeded follows the split's quotas", () => {
    expect(tracksNeeded([0.8, 0.1, 0.1])).toBe(5);
    expect(tracksNeeded([80, 10, 10])).toBe(5);
    expect(tracksNeeded([0.5, 0.25, 0.25])).toBe(3);
    expect(tracksNeeded([0.7, 0, 0.3])).toBe(2);
  });

  test("buildManifest fills the source's defaults and warns that 4 clips per class leave no test track", async () => {
    // No `styles`, `sr` or `noise`: the synthetic source's schema fills them.
    const result = await buildManifest(synthetic, { per_class: 4, seconds: 1, seed: 0 }, { out: join(dir, "synthetic", "manifest.csv"), hash: false });
    expect(result.manifest.rows).toHaveLength(12);
    expect(new Set(result.manifest.rows.map((r) => r.label))).toEqual(new Set(["son_clave", "rumba_clave", "dance_beat"]));
    expect(result.warnings).toEqual(
      ["dance_beat", "rumba_clave", "son_clave"].map(
        (label) => `class "${label}" has no test track (4 tracks: 3 train, 1 validation, 0 test); with ratios 80/10/10 a class needs at least 5 tracks, or change --ratios`,
      ),
    );
    // Five clips per class fill every part.
    const five = await buildManifest(synthetic, { per_class: 5, seconds: 1, seed: 0 }, { out: join(dir, "synthetic5", "manifest.csv"), hash: false });
    expect(five.warnings).toEqual([]);
    expect(emptySplitWarnings(five.manifest, [0.8, 0.1, 0.1])).toEqual([]);
    // A split with no test part on purpose is not warned about.
    expect(emptySplitWarnings(result.manifest, [0.75, 0.25, 0])).toEqual([]);
  }, SLOW);

  test("the CLI warns at build, stats and split", () => {
    const out = join(dir, "cli-synthetic", "manifest.csv");
    const build = runClave(["dataset", "build", "--source", "synthetic", "--per-class", "4", "--seconds", "1", "--out", out, "--no-hash"]);
    expect(build.code).toBe(0);
    expect(build.stderr).toContain('clave: warning: class "son_clave" has no test track (4 tracks: 3 train, 1 validation, 0 test); with ratios 80/10/10 a class needs at least 5 tracks, or change --ratios');
    const stats = runClave(["dataset", "stats", out]);
    expect(stats.code).toBe(0);
    expect(stats.stderr).toContain('clave: warning: class "rumba_clave" has no test track');
    const split = runClave(["dataset", "split", out, "--ratios", "50,25,25"]);
    expect(split.code).toBe(0);
    expect(split.stderr).toBe("");
    const tight = runClave(["dataset", "split", out, "--ratios", "90,5,5"]);
    expect(tight.stderr).toMatch(/class "dance_beat" has no (validation or test|test|validation) track .*with ratios 90\/5\/5 a class needs at least 10 tracks/);
  }, SLOW);
});
