/**
 * The real yt-dlp (Debian's) against a local media site: search pages its generic extractor reads
 * (a JSON-LD AudioObject gives a title and a duration; several bare <audio> give neither, so clave
 * probes their durations), downloads resumed with Range requests (a connection cut midway, a `.part`
 * left by a killed run), retries with backoff, failures that are not retried, and the version checks.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { YtDlpError } from "../../core/errors.ts";
import { AudioFinder } from "../../core/playlist/assemble.ts";
import type { AssemblySettings, TrackEvidence } from "../../core/playlist/evidence.ts";
import { candidatesOf, downloadAudio, isOutdated, searchCandidates, versionNumber, withRetries, ytdlpReason, type YtDlpSettings } from "../../core/playlist/ytdlp.ts";
import { CC_AUDIO, tempDir } from "../helpers.ts";
import { mediaSite, RECORDINGS, runClaveAsync } from "./servers.ts";

const site = await mediaSite({
  "Sorohanro - Solo Trumpet 06": { kind: "jsonld", title: "Sorohanro - Solo Trumpet 06", seconds: 5.33, media: "trumpet" },
  "Kevin MacLeod - Vibe Ace": { kind: "audio", media: ["waltz", "vibe", "drums"] },
  "Broken - Site": { kind: "error", status: 503 },
});
afterAll(() => site.close());
const dir = tempDir();
const unexpected = (): never => {
  throw new Error("expected a failure");
};
const settings: YtDlpSettings = { binary: "/usr/bin/yt-dlp", extraArgs: [], rateLimit: "50M", retries: 0, backoffS: 0, timeoutS: 120 };
const search = (q: string) => site.search.replace("{query}", encodeURIComponent(q));

describe("yt-dlp search", () => {
  test("a JSON-LD page gives one candidate with its title and duration", async () => {
    expect(await searchCandidates(search("Sorohanro - Solo Trumpet 06"), settings)).toEqual([
      { url: `${site.url}/media/trumpet.ogg`, title: "Sorohanro - Solo Trumpet 06", uploader: "", duration_s: 5, duration_from: "listed" },
    ]);
  }, 60_000);

  test("a page of several <audio> gives one candidate per media URL, durations unknown; a page of none gives none", async () => {
    const found = await searchCandidates(search("Kevin MacLeod - Vibe Ace"), settings);
    expect(found.map((c) => [c.url, c.duration_s])).toEqual([
      [`${site.url}/media/waltz.ogg`, null],
      [`${site.url}/media/vibe.ogg`, null],
      [`${site.url}/media/drums.ogg`, null],
    ]);
    expect(found[1].title).toBe("Results for Kevin MacLeod - Vibe Ace (2)");
    expect(await searchCandidates(search("Nobody - Nothing"), settings)).toEqual([]);
  }, 60_000);

  test("the finder probes the durations a page does not give, and the duration picks the recording", async () => {
    const finder = new AudioFinder(dir, { search: site.search, min_score: 0.6, sure_score: 0.85, jobs: 1, rate_limit: "", interval_s: 0, retries: 0, backoff_s: 0, timeout_s: 120, ytdlp: "/usr/bin/yt-dlp", ytdlp_args: [], probe_candidates: true } satisfies AssemblySettings);
    const t: TrackEvidence = { id: "x/vibe", stem: "vibe", label: "a", labels: ["a"], origins: [], spotify_id: null, artists: ["Kevin MacLeod"], title: "Vibe Ace", album: "", duration_s: 61.5, query: "Kevin MacLeod - Vibe Ace", search: "", candidates: [], chosen: null, source_url: "", score: null, state: "pending", file: "", measured_s: null, note: "" };
    await finder.find(t);
    expect(t.candidates.map((c) => [c.duration_from, Math.round(c.duration_s ?? 0)])).toEqual([
      ["probed", Math.round(RECORDINGS.waltz.seconds)],
      ["probed", Math.round(RECORDINGS.vibe.seconds)],
      ["probed", Math.round(RECORDINGS.drums.seconds)],
    ]);
    expect(t.chosen).toBe(1);
    expect(t).toMatchObject({ state: "auto", file: "vibe.ogg", source_url: `${site.url}/media/vibe.ogg`, score: 1 });
    expect(t.measured_s).toBeCloseTo(RECORDINGS.vibe.seconds, 1);
    expect(readFileSync(join(dir, "audio", "vibe.ogg")).equals(readFileSync(join(CC_AUDIO, RECORDINGS.vibe.file)))).toBe(true);
  }, 120_000);

  test("a server error is retried with backoff, then reported; what cannot pass is not retried", async () => {
    const before = site.log.filter((r) => r.path.startsWith("/search?q=Broken")).length;
    const waits: number[] = [];
    const error = await withRetries(() => searchCandidates(search("Broken - Site"), settings), { retries: 2, backoffS: 1 }, { wait: async (ms) => void waits.push(ms) }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(YtDlpError);
    expect((error as YtDlpError).permanent).toBe(false);
    expect((error as Error).message).toContain("HTTP Error 503");
    expect(site.log.filter((r) => r.path.startsWith("/search?q=Broken")).length - before).toBe(3);
    expect(waits.map((w) => Math.floor(w / 1000))).toEqual([1, 2]);
    let tries = 0;
    await expect(
      withRetries(
        async () => {
          tries++;
          throw new YtDlpError("x", "Unsupported URL: x", true);
        },
        { retries: 5, backoffS: 0 },
      ),
    ).rejects.toThrow("Unsupported URL");
    expect(tries).toBe(1);
  }, 120_000);
});

describe("yt-dlp download", () => {
  test("a connection cut midway is resumed with a Range request; the file is whole", async () => {
    site.cutDownloads("drums", 300_000);
    const before = site.log.length;
    const file = await downloadAudio(`${site.url}/media/drums.ogg`, join(dir, "audio"), "cut1", settings);
    expect(file).toBe(join(dir, "audio", "cut1.ogg"));
    expect(site.log.slice(before).map((r) => r.range).filter(Boolean)).toEqual(["bytes=300000-"]);
    expect(readFileSync(file).equals(readFileSync(join(CC_AUDIO, RECORDINGS.drums.file)))).toBe(true);
  }, 120_000);

  test("a .part left by a killed run is continued, not started again", async () => {
    const whole = readFileSync(join(CC_AUDIO, RECORDINGS.ragtime.file));
    writeFileSync(join(dir, "audio", "part1.ogg.part"), whole.subarray(0, 400_000));
    const before = site.log.length;
    const file = await downloadAudio(`${site.url}/media/ragtime.ogg`, join(dir, "audio"), "part1", settings);
    expect(site.log.slice(before).map((r) => r.range).filter(Boolean)).toEqual(["bytes=400000-"]);
    expect(readFileSync(file).equals(whole)).toBe(true);
    expect(existsSync(`${file}.part`)).toBe(false);
  }, 120_000);

  test("a file that is not audio is removed and the track fails, naming why", async () => {
    const finder = new AudioFinder(dir, { search: site.search, min_score: 0.6, sure_score: 0.85, jobs: 1, rate_limit: "", interval_s: 0, retries: 0, backoff_s: 0, timeout_s: 120, ytdlp: "/usr/bin/yt-dlp", ytdlp_args: [], probe_candidates: false });
    const t: TrackEvidence = { id: "x/junk", stem: "junk", label: "a", labels: ["a"], origins: [], spotify_id: null, artists: ["A"], title: "B", album: "", duration_s: null, query: "A - B", search: "", candidates: [{ url: `${site.url}/junk.ogg`, title: "A - B", uploader: "", duration_s: null, duration_from: "unknown" as const, text: 1, duration: null, variants: [], score: 1 }], chosen: 0, source_url: "", score: null, state: "pending", file: "", measured_s: null, note: "" };
    await expect(finder.fetch(t, 0)).rejects.toThrow(`yt-dlp ${site.url}/junk.ogg: the downloaded file is not audio clave can read`);
    expect(existsSync(join(dir, "audio", "junk.ogg"))).toBe(false);
    expect(t.file).toBe("");
  }, 120_000);

  test("failures name the URL and why; a stem that is not a safe file name is refused before yt-dlp runs", async () => {
    await expect(downloadAudio(`${site.url}/media/nothing.ogg`, join(dir, "audio"), "nf", settings)).rejects.toThrow(`yt-dlp ${site.url}/media/nothing.ogg: `);
    const missing = await downloadAudio(`${site.url}/media/nothing.ogg`, join(dir, "audio"), "nf", settings).then(unexpected, (e: YtDlpError) => e);
    expect(missing.permanent).toBe(true);
    for (const stem of ["../x", ".hidden", "a b", "a/b"]) {
      await expect(downloadAudio(`${site.url}/media/drums.ogg`, join(dir, "audio"), stem, settings)).rejects.toThrow("is not a safe file name");
    }
    await expect(searchCandidates("ytsearch1:x", { ...settings, binary: join(dir, "no-such-yt-dlp") })).rejects.toThrow(`cannot run ${join(dir, "no-such-yt-dlp")}: install yt-dlp`);
  }, 120_000);
});

describe("yt-dlp versions", () => {
  test("versions compare as dates; Debian's 2023.03.04 is outdated for YouTube", () => {
    expect(versionNumber("2023.03.04")).toBe(20230304);
    expect(versionNumber("2025.11.12.1")).toBe(20251112);
    expect(versionNumber("nightly")).toBeNull();
    expect(isOutdated("2023.03.04")).toBe(true);
    expect(isOutdated("2025.11.12")).toBe(false);
    expect(isOutdated("2026.02.01")).toBe(false);
  });

  test("reasons are yt-dlp's last ERROR line, without its bug-report plea", () => {
    expect(ytdlpReason("[generic] x: Downloading\nERROR: [generic] Unable to download webpage: HTTP Error 500; please report this issue on https://x\n")).toBe(
      "[generic] Unable to download webpage: HTTP Error 500",
    );
    expect(ytdlpReason("")).toBe("failed without a message");
  });

  test("entries without an http(s) URL are not candidates", () => {
    expect(candidatesOf({ entries: [{ url: "file:///etc/passwd", title: "x" }, { url: "javascript:alert(1)" }, { webpage_url: "https://a.example/v", title: "ok", duration: 12, channel: "C" }] }, 10)).toEqual([
      { url: "https://a.example/v", title: "ok", uploader: "C", duration_s: 12, duration_from: "listed" },
    ]);
  });

  test("a current yt-dlp is given deno with --js-runtimes, after --ignore-config and before the URL", async () => {
    // A stand-in that answers --version as a 2026 release and records its arguments otherwise.
    const fake = join(dir, "yt-dlp-2026");
    const args = join(dir, "args.txt");
    writeFileSync(fake, `#!/bin/sh\nif [ "$1" = --version ]; then echo 2026.02.21; exit 0; fi\nprintf '%s\\n' "$@" > ${JSON.stringify(args)}\necho '{"entries": []}'\n`);
    chmodSync(fake, 0o755);
    const saved = process.env.CLAVE_DENO;
    process.env.CLAVE_DENO = "/opt/deno/bin/deno";
    try {
      expect(await searchCandidates("ytsearch3:-rf x", { ...settings, binary: fake, extraArgs: ["--cookies", "c.txt"] })).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.CLAVE_DENO;
      else process.env.CLAVE_DENO = saved;
    }
    expect(readFileSync(args, "utf8").trim().split("\n")).toEqual([
      "--ignore-config", "--no-color", "--socket-timeout", "30", "--js-runtimes", "deno:/opt/deno/bin/deno",
      "--flat-playlist", "--dump-single-json", "--no-warnings", "--cookies", "c.txt", "--", "ytsearch3:-rf x",
    ]);
  });

  test("downloads ask for audio only, resumable, rate-limited, into the folder under the stem; a run that hangs is killed", async () => {
    const fake = join(dir, "yt-dlp-dl");
    const args = join(dir, "dl-args.txt");
    // Answers --version as Debian's; records a download's arguments and prints where it "wrote"; hangs on "hang".
    writeFileSync(fake, `#!/bin/sh\nif [ "$1" = --version ]; then echo 2023.03.04; exit 0; fi\nfor a in "$@"; do [ "$a" = http://x.example/hang ] && exec sleep 60; done\nprintf '%s\\n' "$@" > ${JSON.stringify(args)}\necho ${JSON.stringify(join(dir, "audio", "abc.webm"))}\n`);
    chmodSync(fake, 0o755);
    const file = await downloadAudio("http://x.example/v", join(dir, "audio"), "abc", { ...settings, binary: fake, rateLimit: "2M" });
    expect(file).toBe(join(dir, "audio", "abc.webm"));
    expect(readFileSync(args, "utf8").trim().split("\n")).toEqual([
      "--ignore-config", "--no-color", "--socket-timeout", "30",
      "--no-playlist", "-f", "bestaudio", "--continue", "--no-overwrites", "--no-progress", "--retries", "3", "--limit-rate", "2M",
      "-P", join(dir, "audio"), "-o", "abc.%(ext)s", "--print", "after_move:filepath", "--", "http://x.example/v",
    ]);
    const hung = await downloadAudio("http://x.example/hang", join(dir, "audio"), "abc", { ...settings, binary: fake, timeoutS: 0.5 }).then(unexpected, (e: YtDlpError) => e);
    expect(hung).toBeInstanceOf(YtDlpError);
    expect(hung.message).toBe("yt-dlp http://x.example/hang: killed after 0.5 s (raise --param timeout_s)");
    expect(hung.permanent).toBe(false);
  }, 60_000);

  test("clave doctor tells the yt-dlp version, and how to update an old one", async () => {
    const debian = await runClaveAsync(["doctor", "--json"], { env: { CLAVE_YTDLP: "/usr/bin/yt-dlp" } });
    const tool = (JSON.parse(debian.stdout) as { tools: { name: string; ok: boolean; detail: string; update?: string }[] }).tools.find((t) => t.name === "yt-dlp")!;
    expect(tool.ok).toBe(true);
    expect(tool.detail).toContain("yt-dlp 2023.03.04 (older than 2025.11.12: YouTube needs a newer one, with a JavaScript runtime)");
    expect(tool.update).toContain('pip install --user -U "yt-dlp[default]"');
    // A current yt-dlp (a stand-in that only answers --version) gets the deno clave found.
    const current = join(dir, "yt-dlp-current");
    writeFileSync(current, "#!/bin/sh\necho 2026.02.21\n");
    chmodSync(current, 0o755);
    const report = await runClaveAsync(["doctor"], { env: { CLAVE_YTDLP: current, CLAVE_DENO: "/opt/deno/bin/deno" } });
    expect(report.stdout).toMatch(/yt-dlp\s+ok\s+yt-dlp 2026\.02\.21; JavaScript runtime for YouTube: deno at \/opt\/deno\/bin\/deno/);
  }, 120_000);
});
