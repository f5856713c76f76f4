/** Overlaps between labels' lists, the counts per label, and the track lists that need no Spotify account. */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../core/errors.ts";
import type { TrackProblem } from "../../core/plugin.ts";
import { parseExportifyCsv, parseTextList, readAssignments, readLabelsFile, readTrackList } from "../../core/playlist/tracklist.ts";
import { describeCounts, gatherTracks, keyStem, trackKey, type ListedTrack, type Listing } from "../../core/playlist/tracks.ts";
import { tempDir } from "../helpers.ts";

const t = (spotifyId: string | undefined, artist: string, title: string, duration_s: number | null = 200): ListedTrack => ({
  ...(spotifyId ? { spotifyId } : {}),
  artists: [artist],
  title,
  duration_s,
});
const ID = (c: string) => c.repeat(22);

describe("overlaps", () => {
  // The study's situation in small: son and rumba playlists sharing tracks.
  const listings: Listing[] = [
    { label: "son", origin: "son-1", tracks: [t(ID("a"), "Arsenio Rodríguez", "Bruca Maniguá"), t(ID("b"), "Ignacio Piñeiro", "Échale Salsita"), t(ID("c"), "Celia Cruz", "Quimbara")], skipped: { empty: 1, episodes: 0, local: 2 } },
    // The same track again under son (another playlist, another id of the same recording, accents differ).
    { label: "son", origin: "son-2", tracks: [t(ID("a"), "Arsenio Rodriguez", "Bruca Manigua"), t(ID("x"), "ARSENIO RODRÍGUEZ", "Bruca maniguá")] },
    { label: "rumba", origin: "rumba-1", tracks: [t(ID("c"), "Celia Cruz", "Quimbara"), t(ID("d"), "Los Muñequitos de Matanzas", "Congo Yambumba"), t(undefined, "Ignacio Piñeiro", "Échale salsita")] },
  ];

  test("a track twice under one label is one track; under two labels it is ambiguous and left out", () => {
    const { tracks, counts } = gatherTracks(listings, "spotify");
    expect(tracks.map((x) => [x.id, x.label, x.labels])).toEqual([
      [`spotify/${ID("a")}`, "son", ["son"]],
      [`spotify/${ID("b")}`, null, ["rumba", "son"]],
      [`spotify/${ID("c")}`, null, ["rumba", "son"]],
      [`spotify/${ID("d")}`, "rumba", ["rumba"]],
    ]);
    expect(tracks[0].origins).toEqual(["son-1", "son-2"]);
    expect(counts).toEqual([
      { label: "son", lists: 2, entries: 5, repeats: 2, tracks: 3, only: 1, ambiguous: 2, assigned: 0, kept: 1, skipped: { empty: 1, episodes: 0, local: 2 } },
      { label: "rumba", lists: 1, entries: 3, repeats: 0, tracks: 3, only: 1, ambiguous: 2, assigned: 0, kept: 1, skipped: { empty: 0, episodes: 0, local: 0 } },
    ]);
    expect(describeCounts(counts)[0]).toBe(
      "son: 2 lists, 5 entries (2 repeats), skipped 1 empty, 2 local files; 3 tracks: 1 only here, 2 also under another label (0 assigned here, 2 ambiguous and left out); keeps 1",
    );
  });

  test("an assignment by id, Spotify link or `Artist - Title` gives an ambiguous track its label", () => {
    const assign = new Map([
      [`https://open.spotify.com/intl-es/track/${ID("c")}?si=zz`, "rumba"],
      ["IGNACIO PIÑEIRO - echale salsita", "son"],
    ]);
    const { tracks, counts } = gatherTracks(listings, "spotify", assign);
    expect(tracks.filter((x) => x.assigned).map((x) => [x.id, x.label])).toEqual([
      [`spotify/${ID("b")}`, "son"],
      [`spotify/${ID("c")}`, "rumba"],
    ]);
    expect(counts.map((c) => [c.label, c.kept, c.assigned, c.ambiguous])).toEqual([
      ["son", 2, 1, 0],
      ["rumba", 2, 1, 0],
    ]);
  });

  test("tracks without a Spotify id are named by a hash of artist and title: never by the title itself", () => {
    const { tracks } = gatherTracks([{ label: "x", origin: "f", tracks: [t(undefined, "../..", "/etc/passwd")] }], "tracklist");
    expect(tracks[0].stem).toMatch(/^[0-9a-f]{16}$/);
    expect(tracks[0].stem).toBe(keyStem(trackKey(tracks[0])));
    expect(tracks[0].id).toBe(`tracklist/${tracks[0].stem}`);
  });
});

describe("track lists", () => {
  const dir = tempDir();

  test("`artist - title` lines, with comments, dashes of any kind; a line without one is a problem, the rest go on", () => {
    const problems: TrackProblem[] = [];
    const text = "\ufeff# son\nArsenio Rodríguez - Bruca Maniguá\n\nSeptero Nacional – Suavecito\nno separator here\nCelia Cruz — Quimbara - Remastered\n - no artist\n";
    expect(parseTextList(text, "son.txt", (p) => problems.push(p))).toEqual([
      { artists: ["Arsenio Rodríguez"], title: "Bruca Maniguá", duration_s: null },
      { artists: ["Septero Nacional"], title: "Suavecito", duration_s: null },
      { artists: ["Celia Cruz"], title: "Quimbara - Remastered", duration_s: null },
    ]);
    expect(problems).toEqual([
      { path: "son.txt", reason: 'line 5: expected "artist - title", got "no separator here": left out' },
      { path: "son.txt", reason: 'line 7: expected "artist - title", got "- no artist": left out' },
    ]);
  });

  test("Exportify CSVs, old and new column names; a row without a name is a problem; a CSV of another kind is refused", () => {
    const problems: TrackProblem[] = [];
    const old = `"Track URI","Track Name","Artist URI(s)","Artist Name(s)","Album Name","Track Duration (ms)"
"spotify:track:${ID("q")}","Quimbara","spotify:artist:1,spotify:artist:2","Celia Cruz, Johnny Pacheco","Celia & Johnny","212000"
"spotify:local:::x:1","Home rip","","Somebody","","180000"
"spotify:track:${ID("r")}","","","Nobody","",""
`;
    expect(parseExportifyCsv(old, "old.csv", (p) => problems.push(p))).toEqual([
      { spotifyId: ID("q"), title: "Quimbara", artists: ["Celia Cruz", "Johnny Pacheco"], album: "Celia & Johnny", duration_s: 212 },
      { title: "Home rip", artists: ["Somebody"], album: "", duration_s: 180 },
    ]);
    expect(problems).toEqual([{ path: "old.csv", reason: "row 3: no track name or artist: left out" }]);
    const newer = `Track URI,Track Name,Album Name,Artist Name(s),Release Date,Duration (ms)\nspotify:track:${ID("s")},Son de la Loma,Sones,"Trío Matamoros;Guest",1925,190500\n`;
    expect(parseExportifyCsv(newer, "new.csv", () => {})).toEqual([{ spotifyId: ID("s"), title: "Son de la Loma", artists: ["Trío Matamoros", "Guest"], album: "Sones", duration_s: 190.5 }]);
    expect(() => parseExportifyCsv("id,name\n1,x\n", "other.csv", () => {})).toThrow('other.csv: not an Exportify CSV: it needs the columns "Track Name" and "Artist Name(s)"');
    expect(() => parseExportifyCsv('"Track Name,Artist Name(s)\n', "broken.csv", () => {})).toThrow("broken.csv: line 1: a quoted field is never closed");
  });

  test("list files are read by extension; a missing one is named", async () => {
    writeFileSync(join(dir, "son.txt"), "A - B\n");
    expect(await readTrackList(join(dir, "son.txt"), () => {})).toEqual([{ artists: ["A"], title: "B", duration_s: null }]);
    await expect(readTrackList(join(dir, "missing.txt"), () => {})).rejects.toThrow(`${join(dir, "missing.txt")}: cannot read the track list: does not exist (ENOENT)`);
  });

  test("labels and assignments files: every fault is named with its file", async () => {
    const file = join(dir, "labels.json");
    const write = (text: string) => writeFileSync(file, text);
    write(JSON.stringify({ son: ["a", "b"], rumba: "c" }));
    expect(await readLabelsFile(file)).toEqual([
      { label: "son", entries: ["a", "b"] },
      { label: "rumba", entries: ["c"] },
    ]);
    for (const [text, message] of [
      ["{", "the labels file is not JSON"],
      ["[1]", "expected an object mapping each label to its lists"],
      ["{}", "no labels"],
      [JSON.stringify({ son: [] }), 'label "son": expected a non-empty string or list of strings'],
      [JSON.stringify({ son: [3] }), 'label "son": expected a non-empty string or list of strings'],
      [JSON.stringify({ " son": ["a"] }), 'label " son": a label must be non-empty, without surrounding spaces'],
    ] as const) {
      write(text);
      const error = await readLabelsFile(file).catch((e: Error) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toStartWith(`${file}: `);
      expect((error as Error).message).toContain(message);
    }
    write(JSON.stringify({ "spotify/x": "mambo" }));
    await expect(readAssignments(file, ["son", "rumba"])).rejects.toThrow(`${file}: "spotify/x": label "mambo" is not one of the labels (son, rumba)`);
  });
});
