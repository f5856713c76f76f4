/**
 * The whole assembly from the command line, with no network: a labels file of playlists on a fake
 * Spotify, their tracks searched and downloaded by the real yt-dlp from a local media site, the
 * evidence and review report, every review decision, a build run again (nothing downloaded twice,
 * decisions kept), a manifest `clave dataset validate` passes and `clave train` trains on. Then the
 * tracklist source (text and Exportify CSV lists), and the failures a user can meet.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readManifest } from "../../core/dataset/manifest.ts";
import { findLeaks } from "../../core/dataset/split.ts";
import type { Evidence } from "../../core/playlist/evidence.ts";
import { CC_AUDIO, tempDir } from "../helpers.ts";
import { EPISODE_ENTRY, fakeSpotify, LOCAL_ENTRY, mediaSite, NULL_ENTRY, RECORDINGS, runClaveAsync, trackEntry } from "./servers.ts";

const T = (n: number) => `track${String(n).padStart(17, "0")}`;
const P = (c: string) => c.repeat(22);
const ms = (r: keyof typeof RECORDINGS) => Math.round(RECORDINGS[r].seconds * 1000);

const spotify = await fakeSpotify([
  {
    id: P("S"),
    entries: [
      trackEntry(T(1), "Solo Trumpet 06", ["Sorohanro"], ms("trumpet")),
      trackEntry(T(2), "Vibe Ace", ["Kevin MacLeod"], ms("vibe")),
      NULL_ENTRY,
      EPISODE_ENTRY,
      trackEntry(T(5), "Choice", ["admiralbob77"], ms("drums")),
      trackEntry(T(11), "<script>alert(1)</script>", ["=1+1 & \"Co\""], 200_000),
    ],
  },
  { id: P("s"), entries: [trackEntry(T(1), "Solo Trumpet 06", ["Sorohanro"], ms("trumpet")), trackEntry(T(6), "Pistachio Ice Cream Ragtime", ["Lena Orsa"], ms("ragtime"))] },
  {
    id: P("R"),
    entries: [
      trackEntry(T(5), "Choice", ["admiralbob77"], ms("drums")),
      trackEntry(T(7), "Sweet Waltz", ["Setuniman"], ms("waltz")),
      trackEntry(T(8), "Hungarian Dance No. 5", ["Brahms"], ms("dance")),
      LOCAL_ENTRY,
      trackEntry(T(9), "Dance of the Sugar Plum Fairy", ["Kevin MacLeod"], ms("sugarplum")),
      trackEntry(T(10), "Let's Go Fishin'", ["Karissa Hobbs"], ms("fishin")),
    ],
  },
  { id: P("F"), entries: [], forbidden: true },
]);
const site = await mediaSite({
  "Sorohanro - Solo Trumpet 06": { kind: "jsonld", title: "Sorohanro - Solo Trumpet 06", seconds: RECORDINGS.trumpet.seconds, media: "trumpet" },
  "Kevin MacLeod - Vibe Ace": { kind: "audio", media: ["waltz", "vibe", "dance"] },
  "admiralbob77 - Choice": { kind: "jsonld", title: "admiralbob77 - Choice (Drum & Bass)", seconds: RECORDINGS.drums.seconds, media: "drums" },
  "Lena Orsa - Pistachio Ice Cream Ragtime": { kind: "jsonld", title: "Lena Orsa - Pistachio Ice Cream Ragtime (Karaoke Version)", seconds: RECORDINGS.ragtime.seconds, media: "ragtime" },
  "Setuniman - Sweet Waltz": { kind: "audio", media: ["trumpet", "drums"] },
  "setuniman sweet waltz 22mi": { kind: "jsonld", title: "setuniman - Sweet Waltz 0i 22mi", seconds: RECORDINGS.waltz.seconds, media: "waltz" },
  "Brahms - Hungarian Dance No. 5": { kind: "error", status: 503 },
  "Kevin MacLeod - Dance of the Sugar Plum Fairy": { kind: "jsonld", title: "Kevin MacLeod - Dance of the Sugar Plum Fairy", seconds: RECORDINGS.sugarplum.seconds, media: "sugarplum" },
  "Karissa Hobbs - Let's Go Fishin'": { kind: "jsonld", title: "Karissa Hobbs - Lets Go Fishin", seconds: RECORDINGS.fishin.seconds, media: "fishin" },
});
// Downloads of the Sugar Plum Fairy are cut midway: yt-dlp resumes them with a Range request.
site.cutDownloads("sugarplum", 500_000);
afterAll(async () => {
  await spotify.close();
  await site.close();
});

const dir = tempDir();
const data = join(dir, "salsa");
const manifestFile = join(data, "manifest.csv");
const labelsFile = join(dir, "labels.json");
writeFileSync(labelsFile, JSON.stringify({ son: [`https://open.spotify.com/playlist/${P("S")}?si=abc`, `spotify:playlist:${P("s")}`], rumba: P("R") }));
const env = { SPOTIFY_API_URL: spotify.url, SPOTIFY_ACCOUNTS_URL: spotify.url, SPOTIFY_ACCESS_TOKEN: "", CLAVE_CONFIG_DIR: join(dir, "config"), SPOTIFY_CLIENT_ID: "test-client-id" };
const siteParams = ["--param", `search=${site.search}`, "--param", "interval_s=0", "--param", "rate_limit=50M", "--param", "retries=1", "--param", "backoff_s=0.1"];
const build = (extra: string[] = []) =>
  runClaveAsync(["dataset", "build", "--source", "spotify", "--param", `labels=${labelsFile}`, ...siteParams, "--out", manifestFile, "--ratios", "50,0,50", ...extra], { env });
const review = (args: string[]) => runClaveAsync(["dataset", "review", manifestFile, ...args, "--ratios", "50,0,50"], { env });
const evidence = () => JSON.parse(readFileSync(join(data, "evidence.json"), "utf8")) as Evidence;
const track = (n: number) => evidence().tracks.find((t) => t.id === `spotify/${T(n)}`)!;
const same = (file: string, recording: keyof typeof RECORDINGS) => readFileSync(file).equals(readFileSync(join(CC_AUDIO, RECORDINGS[recording].file)));

describe("spotify → yt-dlp → reviewed manifest", () => {
  test("a login first (the stored refresh token is what the build uses)", async () => {
    mkdirSync(env.CLAVE_CONFIG_DIR, { recursive: true });
    writeFileSync(
      join(env.CLAVE_CONFIG_DIR, "spotify.json"),
      JSON.stringify({ client_id: "test-client-id", accounts_url: spotify.url, refresh_token: spotify.tokens.refresh, access_token: "old", expires_at: 0, scope: "playlist-read-private" }),
      { mode: 0o600 },
    );
  });

  test("build: tracks listed, overlaps left out, audio found, downloaded, measured; evidence and report written", async () => {
    const built = await build();
    expect(built.stderr).toContain("son: 2 lists, 6 entries (1 repeats), skipped 1 empty, 1 episodes; 5 tracks: 4 only here, 1 also under another label (0 assigned here, 1 ambiguous and left out); keeps 4");
    expect(built.stderr).toContain("rumba: 1 list, 5 entries, skipped 1 local files; 5 tracks: 4 only here, 1 also under another label (0 assigned here, 1 ambiguous and left out); keeps 4");
    expect(built.stderr).toContain("audio: 4 matched, 1 doubtful (downloaded), 1 below min_score, 1 not found, 1 failed, 0 rejected, 1 ambiguous");
    // The failed search is a problem naming the track; the batch went on.
    expect(built.stderr).toContain(`spotify/${T(8)}: yt-dlp ${site.url}/search?q=Brahms%20-%20Hungarian%20Dance%20No.%205: `);
    expect(built.stderr).toContain("HTTP Error 503");
    expect(built.code).toBe(0);

    const states = Object.fromEntries(evidence().tracks.map((t) => [t.id.slice(8), t.state]));
    expect(states).toEqual({ [T(1)]: "auto", [T(2)]: "auto", [T(5)]: "ambiguous", [T(11)]: "not_found", [T(6)]: "doubtful", [T(7)]: "pending", [T(8)]: "failed", [T(9)]: "auto", [T(10)]: "auto" });
    // The multi-<audio> page: durations probed, the one that matches chosen.
    expect(track(2)).toMatchObject({ chosen: 1, source_url: `${site.url}/media/vibe.ogg`, file: `${T(2)}.ogg` });
    expect(track(6).candidates[0]).toMatchObject({ variants: ["karaoke"], score: 0.7 });
    expect(track(7).candidates.map((c) => c.score)).toEqual([0.5, 0.5]);
    expect(track(7).file).toBe("");
    // The cut download was resumed, and the file is whole.
    expect(site.log.some((r) => r.path === "/media/sugarplum.ogg" && r.range === "bytes=500000-")).toBe(true);
    expect(same(join(data, "audio", `${T(9)}.ogg`), "sugarplum")).toBe(true);
    expect(track(9).measured_s).toBeCloseTo(RECORDINGS.sugarplum.seconds, 1);
    // Files are named by track id only.
    expect(readdirSync(join(data, "audio")).sort()).toEqual([1, 2, 6, 9, 10].map((n) => `${T(n)}.ogg`).sort());

    const manifest = await readManifest(manifestFile);
    expect(manifest.extraColumns).toEqual(["source_url", "match_score", "review"]);
    expect(manifest.rows.map((r) => [r.id.slice(8), r.label, r.extra.review, r.extra.match_score])).toEqual([
      [T(1), "son", "auto", "1"],
      [T(2), "son", "auto", "1"],
      [T(6), "son", "doubtful", "0.7"],
      [T(9), "rumba", "auto", "1"],
      [T(10), "rumba", "auto", "1"],
    ]);
    expect(manifest.rows[3].extra.source_url).toBe(`${site.url}/media/sugarplum.ogg`);
    // The refresh token was used (the stored access token had expired) and rotated on disk.
    expect(JSON.parse(readFileSync(join(env.CLAVE_CONFIG_DIR, "spotify.json"), "utf8")).refresh_token).toBe(spotify.tokens.refresh);
    // No token in anything the build wrote.
    for (const file of ["manifest.csv", "evidence.json", "review.html", "review.csv"]) {
      const text = readFileSync(join(data, file), "utf8");
      expect(text).not.toContain(spotify.tokens.access);
      expect(text).not.toContain(spotify.tokens.refresh);
    }
  }, 240_000);

  test("the review report escapes what it shows and links only to http(s)", () => {
    const html = readFileSync(join(data, "review.html"), "utf8");
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("=1+1 &amp; &quot;Co&quot;");
    expect(html).toContain(`<audio controls preload="none" src="audio/${T(6)}.ogg"></audio>`);
    expect(html).toContain("default-src 'none'");
    for (const n of [5, 6, 7, 8, 11]) expect(html).toContain(`<section id="spotify/${T(n)}">`);
    expect(html).not.toContain(`<section id="spotify/${T(1)}">`);
    const csv = readFileSync(join(data, "review.csv"), "utf8");
    expect(csv.split("\n")[0]).toStartWith("id,label,labels,state,artist,title,listed_s,downloaded_s,score");
    // A cell a spreadsheet would run as a formula is quoted with an apostrophe.
    expect(csv).toContain(`spotify/${T(11)},son,son,not_found,"'=1+1 & ""Co""",<script>alert(1)</script>`);
    expect(csv).toContain(`spotify/${T(7)},rumba,rumba,pending,Setuniman,Sweet Waltz,49.2,,0.5,`);
  });

  test("review without decisions lists what to review", async () => {
    const listed = await runClaveAsync(["dataset", "review", manifestFile], { env });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`spotify/${T(7)}`);
    expect(listed.stdout).toMatch(/spotify\/track0+6\s+son\s+doubtful\s+0\.70*\s+Lena Orsa - Pistachio Ice Cream Ragtime\s+Lena Orsa - Pistachio Ice Cream Ragtime \(Karaoke Version\)/);
    expect(listed.stdout).toContain("5 of 9 tracks to review");
  }, 60_000);

  test("bad decisions are usage errors that change nothing", async () => {
    const before = readFileSync(manifestFile, "utf8");
    for (const [args, message] of [
      [["--accept", "spotify/nope"], "--accept spotify/nope: no track with that id"],
      [["--pick", `spotify/${T(1)}=5`], `--pick spotify/${T(1)}=5: spotify/${T(1)} has 1 candidate(s), numbered from 1`],
      [["--pick", `spotify/${T(1)}=x`], "--pick x: expected a candidate number from 1"],
      [["--pick", `spotify/${T(1)}`], `--pick spotify/${T(1)}: expected ID=N`],
      [["--assign", `spotify/${T(5)}=mambo`], `--assign spotify/${T(5)}=mambo: not one of the labels (son, rumba)`],
      [["--accept", `spotify/${T(6)}`, "--reject", T(6)], `spotify/${T(6)}: two decisions (accept and reject); give one`],
      [["--accept", `spotify/${T(5)}`], `--accept spotify/${T(5)}: it is listed under rumba and son; give it a label with --assign`],
      [["--accept", `spotify/${T(11)}`], `--accept spotify/${T(11)}: there is no candidate to accept; search again with --search`],
      // Checked before anything changes: the valid rejection beside it is not carried out either.
      [["--reject", `spotify/${T(10)}`, "--search", `spotify/${T(5)}=admiralbob77 choice`], `--search spotify/${T(5)}: it is listed under rumba and son; give it a label with --assign`],
    ] as const) {
      const r = await review([...args]);
      expect(r.stderr).toContain(message);
      expect(r.code).toBe(2);
    }
    expect(readFileSync(manifestFile, "utf8")).toBe(before);
    expect(existsSync(join(data, "audio", `${T(10)}.ogg`))).toBe(true);
  }, 120_000);

  test("accept a doubtful match, assign an ambiguous track, search again with other words, reject one: the manifest follows", async () => {
    const r = await review([
      "--accept", `spotify/${T(6)}`,
      "--assign", `spotify/${T(5)}=rumba`,
      "--search", `spotify/${T(7)}=setuniman sweet waltz 22mi`,
      "--reject", T(10),
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("(split again)");
    expect(track(6)).toMatchObject({ state: "accepted", file: `${T(6)}.ogg` });
    expect(track(5)).toMatchObject({ state: "auto", label: "rumba", source_url: `${site.url}/media/drums.ogg` });
    expect(track(7)).toMatchObject({ state: "auto", query: "setuniman sweet waltz 22mi", source_url: `${site.url}/media/waltz.ogg` });
    expect(same(join(data, "audio", track(7).file), "waltz")).toBe(true);
    expect(track(10)).toMatchObject({ state: "rejected", file: "" });
    expect(existsSync(join(data, "audio", `${T(10)}.ogg`))).toBe(false);
    const manifest = await readManifest(manifestFile);
    expect(manifest.rows.map((r) => [r.id.slice(8), r.label, r.extra.review]).sort()).toEqual(
      [
        [T(1), "son", "auto"],
        [T(2), "son", "auto"],
        [T(5), "rumba", "auto"],
        [T(6), "son", "accepted"],
        [T(7), "rumba", "auto"],
        [T(9), "rumba", "auto"],
      ].sort(),
    );
    // New rows are hashed, probed and split; no artist on two sides.
    for (const row of manifest.rows) {
      expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(["train", "test"]).toContain(row.split);
    }
    expect(findLeaks(manifest.rows)).toEqual([]);
  }, 240_000);

  test("pick another candidate: downloaded beside the old file, which goes once the new one is there", async () => {
    const r = await review(["--pick", `spotify/${T(2)}=3`]);
    expect(r.code).toBe(0);
    expect(track(2)).toMatchObject({ state: "picked", chosen: 2, file: `${T(2)}.c3.ogg`, source_url: `${site.url}/media/dance.ogg` });
    expect(existsSync(join(data, "audio", `${T(2)}.ogg`))).toBe(false);
    expect(same(join(data, "audio", `${T(2)}.c3.ogg`), "dance")).toBe(true);
    const row = (await readManifest(manifestFile)).rows.find((x) => x.id === `spotify/${T(2)}`)!;
    expect(row).toMatchObject({ path: `audio/${T(2)}.c3.ogg`, extra: { review: "picked", source_url: `${site.url}/media/dance.ogg` } });
    expect(row.duration_s).toBeCloseTo(RECORDINGS.dance.seconds, 1);
  }, 120_000);

  test("a build run again downloads nothing twice and keeps every decision", async () => {
    const before = site.log.length;
    const manifest = readFileSync(manifestFile, "utf8");
    const again = await build();
    expect(again.code).toBe(0);
    const requests = site.log.slice(before).map((r) => decodeURIComponent(r.path));
    // Only the failed track is tried again (a search, twice with the retry); no media fetched.
    expect(requests.every((p) => p.startsWith("/search?q=Brahms - Hungarian Dance No. 5"))).toBe(true);
    expect(requests.length).toBe(2);
    expect(readFileSync(manifestFile, "utf8")).toBe(manifest);
    expect(Object.fromEntries(evidence().tracks.map((t) => [t.id.slice(8), t.state]))).toMatchObject({ [T(2)]: "picked", [T(5)]: "auto", [T(6)]: "accepted", [T(7)]: "auto", [T(10)]: "rejected" });
  }, 240_000);

  test("the manifest validates and clave train trains a model on it", async () => {
    // Real songs last what they last: durations are not what this checks.
    const validated = await runClaveAsync(["dataset", "validate", manifestFile, "--no-decode", "--expected-duration", "60", "--tolerance", "10"], { env });
    expect(validated.stdout).toContain("0 issue(s) in 6 tracks");
    expect(validated.code).toBe(0);
    const trained = await runClaveAsync(
      ["train", "--model", "dense2", "--features", "mfcc", "--dataset", manifestFile, "--segment", "3", "--epochs", "2", "--runs", join(dir, "runs"), "--json"],
      { env, timeoutMs: 300_000 },
    );
    expect(trained.code).toBe(0);
    const { summary } = JSON.parse(trained.stdout) as { summary: { model: string; epochs: number; labels?: string[] } };
    expect(summary).toMatchObject({ model: "dense2" });
    expect(summary.epochs).toBe(2);
  }, 300_000);
});

describe("spotify failures a user meets", () => {
  test("a playlist not owned (403) is named with the advice; nothing is searched or written", async () => {
    const labels = join(dir, "forbidden.json");
    writeFileSync(labels, JSON.stringify({ son: [P("S"), `spotify:playlist:${P("F")}`], rumba: [P("N")] }));
    const out = join(dir, "forbidden", "manifest.csv");
    const before = site.log.length;
    const r = await runClaveAsync(["dataset", "build", "--source", "spotify", "--param", `labels=${labels}`, ...siteParams, "--out", out], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("2 playlist(s) cannot be read");
    expect(r.stderr).toContain(`Spotify playlist spotify:playlist:${P("F")}: 403 (Forbidden): Spotify gives the items only of playlists you own or collaborate on; copy the playlist into your account`);
    expect(r.stderr).toContain(`Spotify playlist ${P("N")}: 404 (Resource not found): no such playlist (or it is not visible to this account) (label rumba)`);
    expect(site.log.length).toBe(before);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  test("a link that is not a playlist, or no credentials, stop before any request", async () => {
    const labels = join(dir, "typo.json");
    writeFileSync(labels, JSON.stringify({ son: ["https://open.spotify.com/album/" + P("S")] }));
    const before = spotify.log.length;
    const typo = await runClaveAsync(["dataset", "build", "--source", "spotify", "--param", `labels=${labels}`, "--out", join(dir, "typo", "manifest.csv")], { env });
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain(`(label son in ${labels}) is not a playlist link`);
    expect(spotify.log.length).toBe(before);
    const anonymous = await runClaveAsync(["dataset", "build", "--source", "spotify", "--param", `labels=${labelsFile}`, "--out", join(dir, "anon", "manifest.csv")], {
      env: { ...env, CLAVE_CONFIG_DIR: join(dir, "empty-config") },
    });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain("Spotify: not logged in: run `clave spotify login`");
  }, 60_000);

  test("review of a manifest that was not assembled from playlists says so", async () => {
    const other = join(dir, "plain", "manifest.csv");
    mkdirSync(join(dir, "plain"));
    writeFileSync(other, "id,label,artist,title,source,path,hash,duration_s,sr,split\n");
    const r = await runClaveAsync(["dataset", "review", other, "--accept", "x"], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${other}: no evidence.json beside it: only datasets built by the spotify or tracklist source can be reviewed`);
  }, 60_000);
});

describe("tracklist source", () => {
  test("text and Exportify lists per label, without Spotify: the same assembly, bad lines reported", async () => {
    const lists = join(dir, "lists");
    mkdirSync(lists);
    writeFileSync(join(lists, "son.txt"), "# son\nSorohanro - Solo Trumpet 06\nnot a track line\nLena Orsa - Pistachio Ice Cream Ragtime\n");
    writeFileSync(
      join(lists, "rumba.csv"),
      `Track URI,Track Name,Album Name,Artist Name(s),Duration (ms)\nspotify:track:${T(9)},Vibe Ace,Ace,Kevin MacLeod,${ms("vibe")}\n,Solo Trumpet 06,,Sorohanro,${ms("trumpet")}\n`,
    );
    const out = join(dir, "lists-data", "manifest.csv");
    const r = await runClaveAsync(["dataset", "build", "--source", "tracklist", "--param", `path=${lists}`, ...siteParams, "--split", "none", "--strict", "--out", out], { env });
    expect(r.stderr).toContain(`${join(lists, "son.txt")}: line 3: expected "artist - title", got "not a track line": left out`);
    expect(r.stderr).toContain("rumba: 1 list, 2 entries; 2 tracks: 1 only here, 1 also under another label (0 assigned here, 1 ambiguous and left out); keeps 1");
    expect(r.code).toBe(1); // --strict: a line was left out
    const manifest = await readManifest(out);
    // Lists are read in name order: rumba.csv, then son.txt.
    expect(manifest.rows.map((x) => [x.id, x.label, x.extra.review])).toEqual([
      [`tracklist/${T(9)}`, "rumba", "auto"],
      [expect.stringMatching(/^tracklist\/[0-9a-f]{16}$/), "son", "doubtful"],
    ]);
    // Without a listed duration the text decides alone (the karaoke version is still penalised).
    expect(manifest.rows[1].extra.match_score).toBe("0.7");
  }, 240_000);
});
