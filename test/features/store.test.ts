/**
 * The feature store's guards, called as a library: content hashes that are not SHA-256 never become
 * paths, only regular files are hashed, NaN/Inf outputs are refused before the cache sees them (and a
 * cached one is a miss), a cache that cannot be written follows its policy, stale temporaries go.
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hashFile } from "../../core/dataset/hash.ts";
import { ContentHashError, FeatureError, FileError } from "../../core/errors.ts";
import { FeatureCache } from "../../core/features/cache.ts";
import { extractFeatures } from "../../core/features/extract.ts";
import { removeStaleTemporaries, writeFileAtomic } from "../../core/fsutil.ts";
import { ndarray } from "../../core/ndarray.ts";
import { encodeNpy } from "../../core/npy.ts";
import { defineFeature, z, type Signal } from "../../core/plugin.ts";
import { tempDir } from "../helpers.ts";

const signal: Signal = { y: new Float32Array(4096).map((_, i) => Math.sin(i / 10)), sr: 22050 };
const HASH = "0123456789abcdef".repeat(4);

function counter(value: () => number) {
  let calls = 0;
  const plugin = defineFeature({
    name: "probe",
    description: "test",
    params: z.object({}),
    shape: () => [2],
    extract: () => {
      calls++;
      return ndarray(new Float32Array([1, value()]), [2]);
    },
  });
  return { plugin, calls: () => calls };
}

describe("content hashes are keys, never paths", () => {
  const cache = new FeatureCache(tempDir());
  for (const bad of ["../../../../tmp/x", HASH.toUpperCase(), HASH.slice(1), `${HASH}/..`, "", "..", HASH.replace("0", "g")]) {
    test(`refused: ${JSON.stringify(bad)}`, async () => {
      for (const call of [() => cache.path(bad, "rms", {}, 22050), () => cache.lengthPath(bad, 22050), () => cache.folder(bad)]) {
        expect(call).toThrow(ContentHashError);
        expect(call).toThrow(JSON.stringify(bad));
      }
      expect(await cache.read(bad, "rms", {}, 22050).catch((e: unknown) => e)).toBeInstanceOf(ContentHashError);
      expect(await cache.write(bad, "rms", {}, 22050, ndarray(new Float32Array(1), [1])).catch((e: unknown) => e)).toBeInstanceOf(ContentHashError);
    });
  }
  test("a SHA-256 in lower-case hex is its folder", () => {
    expect(cache.folder(HASH)).toBe(join(cache.dir, "01", HASH));
  });
});

describe("hashFile reads regular files only", () => {
  const dir = tempDir();
  const fifo = join(dir, "pipe");
  spawnSync("mkfifo", [fifo]);
  mkdirSync(join(dir, "folder"));
  for (const [path, words] of [[fifo, "is a FIFO (named pipe), not a regular file"], ["/dev/zero", "is a character device, not a regular file"], [join(dir, "folder"), "is a folder, not a regular file"], [join(dir, "none"), "does not exist (ENOENT)"]] as const) {
    test(`${path}: FileError "${words}"`, async () => {
      const error = await hashFile(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FileError);
      expect((error as FileError).path).toBe(path);
      expect((error as FileError).message).toContain(`${path}: ${words}`);
    });
  }
});

describe("non-finite features", () => {
  test("a NaN output is a FeatureError naming the clip and the feature; nothing is cached", async () => {
    const dir = tempDir();
    const cache = new FeatureCache(dir);
    const { plugin } = counter(() => NaN);
    const error = await extractFeatures(signal, [{ plugin }], { cache, audioHash: HASH, source: "clip.wav" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeatureError);
    expect((error as FeatureError).message).toBe('clip.wav: feature "probe": output is not finite: NaN at index 1 (audio too loud for float32, or a bug in the plugin)');
    expect(readdirSync(dir)).toEqual([]);
  });

  test("a cached array holding Inf (an older clave's) is a miss and is computed again", async () => {
    const cache = new FeatureCache(tempDir());
    const { plugin, calls } = counter(() => 2);
    const path = cache.path(HASH, "probe", {}, signal.sr);
    await writeFileAtomic(path, encodeNpy(ndarray(new Float32Array([1, Infinity]), [2])));
    expect(await cache.read(HASH, "probe", {}, signal.sr)).toBeUndefined();
    const [result] = await extractFeatures(signal, [{ plugin }], { cache, audioHash: HASH });
    expect(result.cached).toBe(false);
    expect(calls()).toBe(1);
    expect(Array.from((await cache.read(HASH, "probe", {}, signal.sr))!.data as Float32Array)).toEqual([1, 2]);
  });
});

describe("a cache that cannot be written", () => {
  const dir = tempDir();
  const blocked = join(dir, "cache");
  writeFileSync(blocked, "a file where the cache folder goes");

  test("by default: one warning naming the path, then features are computed without it", async () => {
    const warnings: string[] = [];
    const cache = new FeatureCache(blocked, { onWarning: (m) => warnings.push(m) });
    const { plugin, calls } = counter(() => 3);
    for (let i = 0; i < 3; i++) {
      const [r] = await extractFeatures(signal, [{ plugin }], { cache, audioHash: HASH });
      expect(Array.from(r.array.data as Float32Array)).toEqual([1, 3]);
    }
    expect(calls()).toBe(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${blocked}/01/${HASH}: cannot create folder: a part of the path is not a folder`);
    expect(cache.writeError).toBeInstanceOf(FileError);
  });

  test('writeErrors: "throw": a FileError naming the path', async () => {
    const cache = new FeatureCache(blocked, { writeErrors: "throw" });
    const { plugin } = counter(() => 3);
    const error = await extractFeatures(signal, [{ plugin }], { cache, audioHash: HASH, source: "clip.wav" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileError);
    expect((error as FileError).path).toBe(join(blocked, "01", HASH));
  });
});

describe("temporaries of killed writers", () => {
  test("removed when their pid is gone (past a grace period) or older than a day; others kept", async () => {
    const dir = tempDir();
    const dead = spawnSync("true").pid!;
    const now = Date.now();
    const at = (name: string, ageMs: number) => {
      const path = join(dir, name);
      writeFileSync(path, "x");
      const t = new Date(now - ageMs);
      utimesSync(path, t, t);
      return path;
    };
    const deadOld = at(`.a.npy.${dead}.0000000a.tmp`, 3600_000);
    const deadYoung = at(`.b.npy.${dead}.0000000b.tmp`, 1000);
    const liveOld = at(`.c.npy.${process.pid}.0000000c.tmp`, 3600_000);
    const liveAncient = at(`.d.npy.${process.pid}.0000000d.tmp`, 2 * 86400_000);
    const notOurs = at(`.e.npy.${dead}.tmp`, 3600_000);
    const data = at("rms-0123.npy", 3600_000);
    expect((await removeStaleTemporaries(dir, now)).sort()).toEqual([deadOld, liveAncient].sort());
    for (const kept of [deadYoung, liveOld, notOurs, data]) expect(existsSync(kept)).toBe(true);
    expect(await removeStaleTemporaries(join(dir, "missing"))).toEqual([]);
  });
});
