/**
 * yt-dlp, spawned directly with an argument array (never a shell; `yt-dlp-wrap` has had no commit since
 * 2023 and is untyped, and what clave needs is two calls): a search that lists candidates as JSON, and
 * an audio-only, resumable, rate-limited download to a file named by the track's id. Every run is
 * killed after a time limit; failures are retried with exponential backoff unless retrying cannot help.
 *
 * YouTube has needed a JavaScript runtime since yt-dlp 2025.11.12: when the yt-dlp in use is that
 * recent and a deno binary is found (`CLAVE_DENO`, PATH, or the `deno` npm package clave depends on),
 * clave passes `--js-runtimes deno:<path>`. Older yt-dlp (Debian ships 2023.03) does not know the flag.
 */
import { accessSync, constants } from "node:fs";
import { createRequire } from "node:module";
import { basename, delimiter, dirname, join, resolve } from "node:path";
import { YtDlpError } from "../errors.ts";
import { runProcess, type ProcessResult } from "../audio/ffmpeg.ts";
import type { FoundCandidate } from "./match.ts";

/** The first yt-dlp release that needs (and accepts) `--js-runtimes`. */
export const JS_RUNTIME_VERSION = "2025.11.12";

export interface YtDlpSettings {
  /** The yt-dlp binary (a name on PATH or a path). */
  readonly binary: string;
  /** Extra arguments before the URL (e.g. `--cookies-from-browser firefox`). */
  readonly extraArgs: readonly string[];
  /** `--limit-rate` of downloads (`1M`, `500K`); empty: none. */
  readonly rateLimit: string;
  /** Attempts after the first, for failures that may pass. */
  readonly retries: number;
  /** First backoff before a retry, in seconds; doubled each time, capped at `MAX_BACKOFF_S`. */
  readonly backoffS: number;
  /** A run of yt-dlp is killed after this many seconds. */
  readonly timeoutS: number;
}

export const MAX_BACKOFF_S = 120;

/** A yt-dlp version `YYYY.MM.DD[.N]` as a comparable number, or null. */
export function versionNumber(version: string): number | null {
  const m = /^(\d{4})\.(\d{1,2})\.(\d{1,2})/.exec(version.trim());
  return m ? Number(m[1]) * 10000 + Number(m[2]) * 100 + Number(m[3]) : null;
}

/** Whether `version` needs updating to download from YouTube (older than `JS_RUNTIME_VERSION`). */
export function isOutdated(version: string): boolean {
  const n = versionNumber(version);
  return n !== null && n < versionNumber(JS_RUNTIME_VERSION)!;
}

/** How to bring yt-dlp up to date, in words a user can act on. */
export const YTDLP_UPDATE =
  'python3 -m pip install --user -U "yt-dlp[default]" (or the standalone binary from https://github.com/yt-dlp/yt-dlp/releases; Debian\'s package cannot update itself with yt-dlp -U)';

const versions = new Map<string, Promise<string | null>>();

/** `yt-dlp --version`, asked once per binary; null when it cannot be run. */
export function ytdlpVersion(binary: string): Promise<string | null> {
  let version = versions.get(binary);
  if (!version) {
    version = runProcess(binary, ["--version"], 15_000).then(
      (r) => (r.code === 0 ? new TextDecoder().decode(r.stdout).trim().split("\n")[0] || null : null),
      () => null,
    );
    versions.set(binary, version);
  }
  return version;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A deno binary for yt-dlp's JavaScript challenges: `CLAVE_DENO`, then PATH, then the `deno` npm package. */
export function findDeno(cwd = process.cwd()): string | null {
  const exe = process.platform === "win32" ? "deno.exe" : "deno";
  const configured = process.env.CLAVE_DENO;
  if (configured) return configured === "none" ? null : configured;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && executable(join(dir, exe))) return join(dir, exe);
  }
  for (const from of [join(cwd, "package.json"), join(dirname(process.argv[1] ?? cwd), "package.json")]) {
    try {
      const pkg = createRequire(from).resolve("deno/package.json");
      const bin = join(dirname(pkg), exe);
      if (executable(bin)) return bin;
    } catch {
      // not installed there
    }
  }
  return null;
}

/** yt-dlp's version, or a permanent YtDlpError saying how to install it. */
export async function requireYtdlp(binary: string): Promise<string> {
  const version = await ytdlpVersion(binary);
  if (version === null) throw new YtDlpError(binary, `cannot run ${binary}: install yt-dlp (clave doctor says how) or give its path with --param ytdlp=PATH`, true);
  return version;
}

/** The arguments every run gets: no user config (its -o or -x would break file naming), the JS runtime when needed. */
async function commonArgs(settings: YtDlpSettings): Promise<string[]> {
  const version = await requireYtdlp(settings.binary);
  const args = ["--ignore-config", "--no-color", "--socket-timeout", "30"];
  const deno = isOutdated(version) ? null : findDeno();
  if (deno) args.push("--js-runtimes", `deno:${deno}`);
  return args;
}

/** yt-dlp's last `ERROR:` line (or last line), for messages. */
export function ytdlpReason(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const error = [...lines].reverse().find((l) => l.startsWith("ERROR:"));
  return (error ?? lines[lines.length - 1] ?? "failed without a message")
    .replace(/^ERROR:\s*/, "")
    .replace(/;?\s*please report this issue on.*$/i, "")
    .slice(0, 500);
}

/** Failures that a retry cannot mend. */
const PERMANENT = [
  /Unsupported URL/i,
  /Requested format is not available/i,
  /HTTP Error 40[0134]/i,
  /HTTP Error 410/i,
  /Video unavailable/i,
  /Private video/i,
  /is not a valid URL/i,
  /no such option/i,
];

function failure(target: string, result: ProcessResult, timeoutS: number): YtDlpError {
  if (result.timedOut) return new YtDlpError(target, `killed after ${timeoutS} s (raise --param timeout_s)`);
  const reason = ytdlpReason(result.stderr);
  return new YtDlpError(target, reason, PERMANENT.some((p) => p.test(reason)));
}

export type Sleep = (ms: number) => Promise<void>;
export const sleep: Sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/**
 * `attempt` until it succeeds, a permanent `YtDlpError` is thrown, `retries` retries are spent, or
 * `abort` fires; waits `backoffS * 2^n` seconds (capped, plus up to 10% jitter) between tries.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  settings: Pick<YtDlpSettings, "retries" | "backoffS">,
  options: { abort?: AbortSignal; wait?: Sleep } = {},
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      const permanent = !(error instanceof YtDlpError) || error.permanent;
      if (permanent || n >= settings.retries || options.abort?.aborted) throw error;
      const seconds = Math.min(settings.backoffS * 2 ** n, MAX_BACKOFF_S);
      await (options.wait ?? sleep)(1000 * seconds * (1 + 0.1 * Math.random()));
    }
  }
}

/** Spaces yt-dlp runs at least `intervalS` apart (across concurrent workers): a request rate limit. */
export class RunGate {
  private next = 0;
  constructor(private readonly intervalS: number) {}
  async wait(): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + this.intervalS * 1000;
    if (at > now) await sleep(at - now);
  }
}

interface YtDlpEntry {
  _type?: string;
  url?: unknown;
  webpage_url?: unknown;
  title?: unknown;
  channel?: unknown;
  uploader?: unknown;
  duration?: unknown;
  entries?: unknown;
}

const isHttp = (value: unknown): value is string => typeof value === "string" && /^https?:\/\//i.test(value);

/** The candidates of a `--dump-single-json --flat-playlist` result: one per entry with an http(s) URL. */
export function candidatesOf(json: unknown, limit: number): FoundCandidate[] {
  const top = (json ?? {}) as YtDlpEntry;
  const entries = Array.isArray(top.entries) ? (top.entries as YtDlpEntry[]) : [top];
  const out: FoundCandidate[] = [];
  for (const entry of entries) {
    if (!entry || typeof entry !== "object") continue;
    // A flat entry's `url` is its page; a resolved one's `url` is the media itself, which is what
    // tells apart several <audio> of one page (they share the page's `webpage_url`).
    const url = isHttp(entry.url) ? entry.url : isHttp(entry.webpage_url) ? entry.webpage_url : null;
    if (!url) continue;
    const duration = typeof entry.duration === "number" && entry.duration > 0 ? entry.duration : null;
    const uploader = typeof entry.channel === "string" ? entry.channel : typeof entry.uploader === "string" ? entry.uploader : "";
    out.push({ url, title: typeof entry.title === "string" ? entry.title : "", uploader, duration_s: duration, duration_from: duration === null ? "unknown" : "listed" });
    if (out.length >= limit) break;
  }
  return out;
}

/**
 * Search `target` (`ytsearch5:artist - title`, or a URL) and list up to `limit` candidates. A page
 * yt-dlp finds no media on has none (yt-dlp says "Unsupported URL"): an empty list, not an error.
 */
export async function searchCandidates(target: string, settings: YtDlpSettings, limit = 20): Promise<FoundCandidate[]> {
  const args = [...(await commonArgs(settings)), "--flat-playlist", "--dump-single-json", "--no-warnings", ...settings.extraArgs, "--", target];
  let result: ProcessResult;
  try {
    result = await runProcess(settings.binary, args, settings.timeoutS * 1000);
  } catch (error) {
    throw new YtDlpError(target, `cannot run ${settings.binary}: ${(error as Error).message}`, true);
  }
  if (result.code !== 0) {
    const error = failure(target, result, settings.timeoutS);
    if (/Unsupported URL/i.test(error.reason)) return [];
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(result.stdout));
  } catch {
    throw new YtDlpError(target, "printed something that is not JSON", true);
  }
  return candidatesOf(json, limit);
}

/**
 * Download the best audio-only format of `url` into `dir` as `<stem>.<ext>`, resuming a `.part` left
 * by an earlier run. Returns the file's absolute path, checked to be that name in that folder.
 */
export async function downloadAudio(url: string, dir: string, stem: string, settings: YtDlpSettings): Promise<string> {
  if (!/^[A-Za-z0-9_.-]+$/.test(stem) || stem.startsWith(".")) throw new YtDlpError(url, `file stem ${JSON.stringify(stem)} is not a safe file name`, true);
  const folder = resolve(dir);
  const args = [
    ...(await commonArgs(settings)),
    "--no-playlist",
    "-f",
    "bestaudio",
    "--continue",
    "--no-overwrites",
    "--no-progress",
    "--retries",
    "3",
    ...(settings.rateLimit ? ["--limit-rate", settings.rateLimit] : []),
    // -P is a plain path; -o is a template, so only the (safe) stem and the extension field go there.
    "-P",
    folder,
    "-o",
    `${stem}.%(ext)s`,
    "--print",
    "after_move:filepath",
    ...settings.extraArgs,
    "--",
    url,
  ];
  let result: ProcessResult;
  try {
    result = await runProcess(settings.binary, args, settings.timeoutS * 1000);
  } catch (error) {
    throw new YtDlpError(url, `cannot run ${settings.binary}: ${(error as Error).message}`, true);
  }
  if (result.code !== 0) throw failure(url, result, settings.timeoutS);
  const printed = new TextDecoder().decode(result.stdout).trim().split(/\r?\n/).pop() ?? "";
  const file = resolve(folder, printed);
  const name = basename(file);
  if (printed === "" || dirname(file) !== folder || !name.startsWith(`${stem}.`) || !/^[A-Za-z0-9]{1,8}$/.test(name.slice(stem.length + 1))) {
    throw new YtDlpError(url, `wrote ${JSON.stringify(printed)}, not ${stem}.<ext> in ${folder}`, true);
  }
  return file;
}
