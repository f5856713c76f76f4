/** `clave features extract` and `clave features dataset`, run as a user runs them (real decoding, real files). */
import { describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readNpySync, toFloat64 } from "../../core/npy.ts";
import { REFERENCE, ROOT, runClave, tempDir } from "../helpers.ts";
import { deviation, referenceArray } from "./reference.ts";

const SYNTH = join(REFERENCE, "audio", "synth_22050.wav");
const REAL = join(REFERENCE, "audio", "real_22050_stereo.wav");

describe("clave features extract", () => {
  const work = tempDir();
  const env = { CLAVE_CACHE_DIR: join(work, "cache") };
  const out = join(work, "out");
  const list = "stack417,mfcc,chroma_stft,spectral_contrast,onset_strength,tempogram,tempo,beat_track,beat_tempo,melspectrogram,zero_crossing_rate,rms,spectral_centroid,spectral_bandwidth,spectral_rolloff";
  const args = ["features", "extract", SYNTH, "--features", list, "--param", "mfcc.n_mfcc=13", "--out", out];

  test("writes DIR/<feature>.npy in librosa's layout, equal to librosa's arrays", () => {
    const r = runClave(args, { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const load = (name: string) => readNpySync(join(out, `${name}.npy`));
    expect(load("stack417").shape).toEqual([417, 1292]);
    for (const [name, ref] of [["mfcc", "mfcc"], ["chroma_stft", "chroma_stft"], ["spectral_contrast", "spectral_contrast"],
      ["onset_strength", "onset_strength"], ["tempogram", "tempogram"], ["melspectrogram", "melspectrogram"], ["zero_crossing_rate", "zcr"],
      ["rms", "rms"], ["spectral_centroid", "spectral_centroid"], ["spectral_bandwidth", "spectral_bandwidth"]] as const) {
      const a = load(name);
      expect([name, a.shape]).toEqual([name, referenceArray("synth", ref).shape]);
      expect([name, deviation(a, referenceArray("synth", ref)).outside]).toEqual([name, 0]);
    }
    expect(load("tempo").shape).toEqual([1]);
    expect(Array.from(toFloat64(load("tempo")))).toEqual(Array.from(toFloat64(referenceArray("synth", "tempo_feature"))));
    expect(Array.from(toFloat64(load("beat_track")))).toEqual(Array.from(toFloat64(referenceArray("synth", "beat_frames"))));
    expect(Array.from(toFloat64(load("beat_tempo")))).toEqual(Array.from(toFloat64(referenceArray("synth", "tempo"))));
  });

  test("a re-run reads everything from the cache and writes the same arrays", () => {
    const before = readFileSync(join(out, "mfcc.npy"));
    const r = runClave(args, { env });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n").filter((l) => l.includes("(cached)"))).toHaveLength(15);
    expect(readFileSync(join(out, "mfcc.npy")).equals(before)).toBe(true);
  });

  test("several files go to DIR/<file stem>/; --no-cache stores nothing", () => {
    const dir = tempDir();
    const cacheDir = join(dir, "cache");
    const r = runClave(["features", "extract", SYNTH, REAL, "--features", "rms,tempo", "--out", join(dir, "o"), "--no-cache"], { env: { CLAVE_CACHE_DIR: cacheDir } });
    expect(r.code).toBe(0);
    expect(readNpySync(join(dir, "o", "synth_22050", "rms.npy")).shape).toEqual([1, 1292]);
    expect(Array.from(toFloat64(readNpySync(join(dir, "o", "real_22050_stereo", "tempo.npy"))))).toEqual(Array.from(toFloat64(referenceArray("real", "tempo_feature"))));
    expect(existsSync(cacheDir)).toBe(false);
  });

  test("usage errors exit 2 and say what is wrong", () => {
    const unknown = runClave(["features", "extract", SYNTH, "--features", "mfccc", "--out", join(work, "x")], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no feature plugin named "mfccc"');
    const stray = runClave(["features", "extract", SYNTH, "--features", "rms", "--param", "mfcc.n_mfcc=3", "--out", join(work, "x")], { env });
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain("mfcc is not among the features (rms)");
    const badParam = runClave(["features", "extract", SYNTH, "--features", "mfcc", "--param", "mfcc.n_mfcc=zero", "--out", join(work, "x")], { env });
    expect(badParam.code).toBe(2);
    expect(badParam.stderr).toContain('mfcc: parameter "n_mfcc"');
  });
});

describe("clave features dataset", () => {
  test("workers, index, aggregates, failures listed, resumable", () => {
    const dir = tempDir();
    copyFileSync(SYNTH, join(dir, "synth.wav"));
    copyFileSync(REAL, join(dir, "real.wav"));
    writeFileSync(join(dir, "broken.wav"), "this is not audio");
    writeFileSync(
      join(dir, "manifest.csv"),
      "id,label,artist,title,source,path,hash,duration_s,sr,split\n" +
        "synth,a,,,folder,synth.wav,,,,train\nreal,b,,,folder,real.wav,,,,test\nbroken,a,,,folder,broken.wav,,,,train\n",
    );
    const args = ["features", "dataset", join(dir, "manifest.csv"), "--features", "gtzan,stack417", "--workers", "2", "--aggregate", join(dir, "features.csv")];
    const first = runClave(args);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain("2 of 3 tracks done (2 computed, 0 already stored) with 2 workers");
    expect(first.stderr).toContain("1 tracks failed");
    expect(first.stderr).toContain("broken (");
    const index = readFileSync(join(dir, "features", "index.csv"), "utf8").trim().split("\n");
    expect(index[0]).toBe("id,label,split,hash,chroma_stft,rms,spectral_centroid,spectral_bandwidth,spectral_rolloff,zero_crossing_rate,harmony,perceptr,tempo,mfcc,stack417");
    expect(index).toHaveLength(3);
    const synthRow = index.find((l) => l.startsWith("synth,"))!.split(",");
    const stack = readNpySync(join(dir, "features", synthRow[14]));
    expect(stack.shape).toEqual([417, 1292]);
    const mfcc = readNpySync(join(dir, "features", synthRow[13]));
    expect(mfcc.shape).toEqual([20, 1292]);
    const csv = readFileSync(join(dir, "features.csv"), "utf8").trim().split("\n");
    const header = csv[0].split(",");
    // The manifest's track id first (to join with the manifest and index.csv), then GTZAN's columns.
    expect(header.slice(0, 7)).toEqual(["id", "filename", "length", "chroma_stft_mean", "chroma_stft_var", "rms_mean", "rms_var"]);
    expect(header).toContain("rolloff_mean");
    expect(header).toContain("perceptr_var");
    expect(header).toContain("mfcc20_var");
    expect(header.at(-1)).toBe("label");
    expect(csv).toHaveLength(3);
    const tempoCol = header.indexOf("tempo");
    expect(Number(csv.find((l) => l.startsWith("synth,"))!.split(",")[tempoCol])).toBe(toFloat64(referenceArray("synth", "tempo_feature"))[0]);

    expect(csv.find((l) => l.startsWith("synth,"))!.split(",").slice(0, 3)).toEqual(["synth", "synth.wav", "661500"]);
    const again = runClave(args);
    expect(again.stdout).toContain("2 of 3 tracks done (0 computed, 2 already stored)");
    expect(readFileSync(join(dir, "features.csv"), "utf8").split("\n")[1].split(",")).toEqual(csv[1].split(","));
  });
});

// `npm test` builds dist/ first; Node users run the CLI from it, and the workers must start from there too.
test("under Node, from the build, dataset workers start and extract", () => {
  const dir = tempDir();
  copyFileSync(SYNTH, join(dir, "synth.wav"));
  copyFileSync(REAL, join(dir, "real.wav"));
  writeFileSync(
    join(dir, "manifest.csv"),
    "id,label,artist,title,source,path,hash,duration_s,sr,split\nsynth,a,,,folder,synth.wav,,,,train\nreal,b,,,folder,real.wav,,,,test\n",
  );
  const r = runClave(["features", "dataset", join(dir, "manifest.csv"), "--features", "tempo", "--workers", "2"], { env: { CLAVE_RUNTIME: "node" } });
  expect(r.stderr).toBe("");
  expect(r.stdout).toContain("2 of 2 tracks done (2 computed, 0 already stored) with 2 workers");
  const row = readFileSync(join(dir, "features", "index.csv"), "utf8").split("\n").find((l) => l.startsWith("real,"))!;
  expect(Array.from(toFloat64(readNpySync(join(dir, "features", row.split(",")[4]))))).toEqual(Array.from(toFloat64(referenceArray("real", "tempo_feature"))));
});
