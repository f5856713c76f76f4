import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatasetError } from "../../core/errors.ts";
import { parseCsvRecords, formatCsv } from "../../core/dataset/csv.ts";
import { MANIFEST_COLUMNS, readManifest, toTable, trackPath, writeManifest, type Manifest } from "../../core/dataset/manifest.ts";
import { tempDir } from "../helpers.ts";

const dir = tempDir("clave-manifest-");

function sample(root: string): Manifest {
  return {
    root,
    extraColumns: ["genres", "note"],
    rows: [
      {
        id: "fma/000148",
        label: "Pop",
        artist: "Amoebic Ensemble",
        title: 'Untitled, "live"\nsecond line',
        source: "fma",
        path: "audio/000148.mp3",
        hash: "ab".repeat(32),
        duration_s: 29.976,
        sr: 44100,
        split: "test",
        extra: { genres: "Pop|Experimental Pop", note: " padded " },
      },
      { id: "x/2", label: "son", artist: "", title: "", source: "folder", path: "son/2.wav", hash: "", duration_s: null, sr: null, split: "", extra: { genres: "", note: "" } },
    ],
  };
}

describe("manifest CSV", () => {
  test("columns in the documented order, then the extra columns; values survive a round trip", async () => {
    const file = join(dir, "a", "manifest.csv");
    await writeManifest(file, sample(join(dir, "a")));
    const text = readFileSync(file, "utf8");
    expect(text.split("\n")[0]).toBe([...MANIFEST_COLUMNS, "genres", "note"].join(","));
    const back = await readManifest(file);
    expect(back.rows).toEqual(sample(join(dir, "a")).rows);
    expect(back.extraColumns).toEqual(["genres", "note"]);
    expect(trackPath(back, back.rows[0])).toBe(join(dir, "a", "audio", "000148.mp3"));
  });

  test("written elsewhere, paths are rewritten relative to the new folder and still point at the same files", async () => {
    const m = sample(join(dir, "data"));
    const file = join(dir, "elsewhere", "deeper", "m.csv");
    await writeManifest(file, m);
    const back = await readManifest(file);
    expect(back.rows[0].path).toBe("../../data/audio/000148.mp3");
    expect(trackPath(back, back.rows[0])).toBe(trackPath(m, m.rows[0]));
  });

  test("as an Arquero table: numbers as numbers, unknowns as null, extra columns as strings", () => {
    const t = toTable(sample(dir));
    expect(t.columnNames()).toEqual([...MANIFEST_COLUMNS, "genres", "note"]);
    expect(t.array("duration_s")).toEqual([29.976, null] as never);
    expect(t.get("genres", 0)).toBe("Pop|Experimental Pop");
    expect(t.filter((d: { split: string }) => d.split === "test").numRows()).toBe(1);
  });

  test("a file that is not a manifest is refused with its path and what is missing", async () => {
    mkdirSync(join(dir, "bad"), { recursive: true });
    const file = join(dir, "bad", "m.csv");
    writeFileSync(file, "id,label,path\na,b,c\n");
    const error = await readManifest(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toContain(`${file}: not a manifest: missing columns artist, title, source, hash, duration_s, sr, split`);
    writeFileSync(file, `${MANIFEST_COLUMNS.join(",")}\na,b,,,s,p,,thirty,,\n`);
    await expect(readManifest(file)).rejects.toThrow(`${file}: row 1 (id "a"): duration_s "thirty" is not a number`);
    await expect(readManifest(join(dir, "nope.csv"))).rejects.toThrow("cannot read the manifest: does not exist (ENOENT)");
  });

  test("CSV quoting: commas, quotes, line breaks and edge spaces round-trip", () => {
    const rows = [["a,b", 'say "hi"', "line\nbreak", " x", "", "plain"]];
    expect(parseCsvRecords(formatCsv(["c1", "c2", "c3", "c4", "c5", "c6"], rows))).toEqual([["c1", "c2", "c3", "c4", "c5", "c6"], ...rows]);
  });
});
