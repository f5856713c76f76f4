/**
 * Local stand-ins for the network, for the playlist tests: a fake Spotify (Web API + accounts) that
 * speaks the real JSON, and a media site whose search pages yt-dlp's generic extractor reads (JSON-LD
 * AudioObject pages with a title and a duration, or pages of several <audio> entries) and whose audio
 * files are served with Range support. Both bind 127.0.0.1 on a random port, answer a bounded number
 * of requests, and close by themselves after a while. Also: the CLI run without blocking the test's
 * event loop (the servers live in it).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { CC_AUDIO, ROOT } from "../helpers.ts";

const MAX_REQUESTS = 2000;
const LIFETIME_MS = 600_000;

export interface Logged {
  method: string;
  path: string;
  auth?: string;
  range?: string;
  ua?: string;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void, log: Logged[]): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      log.push({ method: req.method ?? "", path: req.url ?? "", auth: req.headers.authorization, range: req.headers.range, ua: req.headers["user-agent"] });
      if (log.length > MAX_REQUESTS) {
        res.writeHead(503).end();
        server.close();
        return;
      }
      handler(req, res, Buffer.concat(chunks).toString("utf8"));
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const timer = setTimeout(() => {
    server.close();
    server.closeAllConnections();
  }, LIFETIME_MS);
  timer.unref();
  server.on("close", () => clearTimeout(timer));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

// ------------------------------------------------------------------------------------ fake Spotify

/** A playlist entry of `/items` holding a track, as the API sends it. */
export function trackEntry(id: string, name: string, artists: string[], durationMs: number, album = "An Album"): unknown {
  return {
    added_at: "2026-03-10T12:00:00Z",
    added_by: { id: "someone", type: "user" },
    is_local: false,
    item: {
      id,
      name,
      type: "track",
      uri: `spotify:track:${id}`,
      duration_ms: durationMs,
      explicit: false,
      is_local: false,
      artists: artists.map((a, i) => ({ id: `artist${i}`.padEnd(22, "x"), name: a, type: "artist" })),
      album: { id: "album".padEnd(22, "x"), name: album, type: "album" },
    },
  };
}

export const EPISODE_ENTRY = {
  added_at: "2026-03-10T12:00:00Z",
  is_local: false,
  item: { id: "episode".padEnd(22, "e"), name: "A podcast episode", type: "episode", duration_ms: 1_800_000 },
};
export const LOCAL_ENTRY = {
  added_at: "2026-03-10T12:00:00Z",
  is_local: true,
  item: { id: null, name: "my_rip.mp3", type: "track", is_local: true, uri: "spotify:local:::my_rip.mp3:200", duration_ms: 200_000, artists: [{ name: "" }], album: { name: "" } },
};
export const NULL_ENTRY = { added_at: "2026-03-10T12:00:00Z", is_local: false, item: null };

export interface FakePlaylist {
  readonly id: string;
  readonly entries: readonly unknown[];
  /** 403 (not the user's), or 429 this many times first (with `Retry-After: retryAfter`). */
  readonly forbidden?: boolean;
  readonly rateLimited?: { times: number; retryAfter: string };
}

export interface FakeSpotify {
  readonly url: string;
  readonly log: Logged[];
  /** Tokens currently valid. */
  readonly tokens: { access: string; refresh: string };
  /** The next API request with a valid token gets 401 (the token expired). */
  expireNext(): void;
  /** Make /authorize answer with `error=access_denied`, or a `state` that is not the one asked. */
  authorizeMode: "ok" | "deny" | "wrong-state";
  close(): Promise<void>;
}

export async function fakeSpotify(playlists: readonly FakePlaylist[], options: { clientId?: string } = {}): Promise<FakeSpotify> {
  const clientId = options.clientId ?? "test-client-id";
  const log: Logged[] = [];
  let serial = 1;
  const tokens = { access: "access-1", refresh: "refresh-1" };
  let expire = false;
  const rateLeft = new Map(playlists.map((p) => [p.id, p.rateLimited?.times ?? 0]));
  const codes = new Map<string, { challenge: string; redirect: string }>();
  let base = "";
  const issue = (res: ServerResponse) => {
    serial++;
    tokens.access = `access-${serial}`;
    tokens.refresh = `refresh-${serial}`;
    json(res, 200, { access_token: tokens.access, token_type: "Bearer", expires_in: 3600, refresh_token: tokens.refresh, scope: "playlist-read-private playlist-read-collaborative" });
  };
  const fake = {
    log,
    tokens,
    authorizeMode: "ok" as FakeSpotify["authorizeMode"],
    expireNext: () => void (expire = true),
  };
  const { server, url } = await listen((req, res, body) => {
    const u = new URL(req.url ?? "/", base);
    if (req.method === "GET" && u.pathname === "/authorize") {
      const q = u.searchParams;
      if (q.get("client_id") !== clientId || q.get("response_type") !== "code" || q.get("code_challenge_method") !== "S256") return json(res, 400, { error: "invalid_request" });
      const redirect = q.get("redirect_uri") ?? "";
      if (!/^http:\/\/127\.0\.0\.1:\d+\/callback$/.test(redirect)) return json(res, 400, { error: "invalid_request", error_description: "INVALID_CLIENT: Invalid redirect URI" });
      const code = `code-${serial++}`;
      codes.set(code, { challenge: q.get("code_challenge") ?? "", redirect });
      const back = new URL(redirect);
      if (fake.authorizeMode === "deny") back.search = new URLSearchParams({ error: "access_denied", state: q.get("state") ?? "" }).toString();
      else back.search = new URLSearchParams({ code, state: fake.authorizeMode === "wrong-state" ? "forged" : (q.get("state") ?? "") }).toString();
      return res.writeHead(302, { location: back.href }).end();
    }
    if (req.method === "POST" && u.pathname === "/api/token") {
      const form = new URLSearchParams(body);
      if (form.get("client_id") !== clientId) return json(res, 400, { error: "invalid_client" });
      if (form.get("grant_type") === "refresh_token") {
        if (form.get("refresh_token") !== tokens.refresh) return json(res, 400, { error: "invalid_grant", error_description: "Invalid refresh token" });
        return issue(res);
      }
      if (form.get("grant_type") === "authorization_code") {
        const entry = codes.get(form.get("code") ?? "");
        codes.delete(form.get("code") ?? "");
        const challenge = createHash("sha256").update(form.get("code_verifier") ?? "").digest("base64url");
        if (!entry || entry.redirect !== form.get("redirect_uri") || entry.challenge !== challenge) return json(res, 400, { error: "invalid_grant", error_description: "Invalid authorization code" });
        return issue(res);
      }
      return json(res, 400, { error: "unsupported_grant_type" });
    }
    const m = /^\/v1\/playlists\/([^/]+)\/items$/.exec(u.pathname);
    if (req.method === "GET" && m) {
      if (req.headers.authorization !== `Bearer ${tokens.access}`) return json(res, 401, { error: { status: 401, message: "Invalid access token" } });
      if (expire) {
        expire = false;
        tokens.access = "expired";
        return json(res, 401, { error: { status: 401, message: "The access token expired" } });
      }
      const playlist = playlists.find((p) => p.id === m[1]);
      if (!playlist) return json(res, 404, { error: { status: 404, message: "Resource not found" } });
      if (playlist.forbidden) return json(res, 403, { error: { status: 403, message: "Forbidden" } });
      const left = rateLeft.get(playlist.id) ?? 0;
      if (left > 0) {
        rateLeft.set(playlist.id, left - 1);
        return json(res, 429, { error: { status: 429, message: "API rate limit exceeded" } }, { "retry-after": playlist.rateLimited!.retryAfter });
      }
      const limit = Number(u.searchParams.get("limit") ?? 20);
      const offset = Number(u.searchParams.get("offset") ?? 0);
      if (!(limit >= 1 && limit <= 50)) return json(res, 400, { error: { status: 400, message: "Invalid limit" } });
      const total = playlist.entries.length;
      const next = offset + limit < total ? `${base}/v1/playlists/${playlist.id}/items?offset=${offset + limit}&limit=${limit}` : null;
      return json(res, 200, {
        href: `${base}${req.url}`,
        items: playlist.entries.slice(offset, offset + limit),
        limit,
        next,
        offset,
        previous: offset > 0 ? `${base}/v1/playlists/${playlist.id}/items?offset=${Math.max(0, offset - limit)}&limit=${limit}` : null,
        total,
      });
    }
    json(res, 404, { error: { status: 404, message: "Service not found" } });
  }, log);
  base = url;
  return Object.assign(fake, { url, close: () => new Promise<void>((done) => server.close(() => done())) });
}

// -------------------------------------------------------------------------------------- media site

/** A recording of ../shared/audio/cc by its short name, with its real duration in seconds. */
export const RECORDINGS = {
  trumpet: { file: "sorohanro_-_solo-trumpet-06.hq.ogg", seconds: 5.33 },
  drums: { file: "admiralbob77_-_Choice_-_Drum-bass.hq.ogg", seconds: 25.03 },
  dance: { file: "Hungarian_Dance_number_5_-_Allegro_in_F_sharp_minor_(string_orchestra).hq.ogg", seconds: 45.84 },
  waltz: { file: "147793__setuniman__sweet-waltz-0i-22mi.hq.ogg", seconds: 49.2 },
  vibe: { file: "Kevin_MacLeod_-_Vibe_Ace.hq.ogg", seconds: 61.46 },
  ragtime: { file: "442789__lena-orsa__happy-music-pistachio-ice-cream-ragtime.hq.ogg", seconds: 70.77 },
  sugarplum: { file: "Kevin_MacLeod_-_P_I_Tchaikovsky_Dance_of_the_Sugar_Plum_Fairy.hq.ogg", seconds: 119.88 },
  fishin: { file: "Karissa_Hobbs_-_Lets_Go_Fishin.hq.ogg", seconds: 132.99 },
} as const;
export type Recording = keyof typeof RECORDINGS;

/** A search page: one JSON-LD AudioObject (title and duration known), or several bare <audio> entries. */
export type SearchPage =
  | { kind: "jsonld"; title: string; seconds: number; media: Recording }
  | { kind: "audio"; media: readonly Recording[] }
  | { kind: "error"; status: number };

export interface MediaSite {
  readonly url: string;
  readonly log: Logged[];
  /** `http://127.0.0.1:<port>/search?q={query}`. */
  readonly search: string;
  /**
   * Every GET of `media` without a Range header (not ffprobe's) stops after `bytes`: yt-dlp's extractor
   * reads only the first bytes, its downloader has to resume with a Range request.
   */
  cutDownloads(media: Recording, bytes: number): void;
  close(): Promise<void>;
}

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A media site whose search answers from `pages`, keyed by the query (`artist - title`). */
export async function mediaSite(pages: Readonly<Record<string, SearchPage>>): Promise<MediaSite> {
  const log: Logged[] = [];
  const cuts = new Map<string, number>();
  let base = "";
  const { server, url } = await listen((req, res) => {
    const u = new URL(req.url ?? "/", base);
    if (u.pathname === "/search") {
      const q = u.searchParams.get("q") ?? "";
      const page = pages[q];
      if (page?.kind === "error") return res.writeHead(page.status, { "content-type": "text/plain" }).end("server error\n");
      let head = `<title>Results for ${escape(q)}</title>`;
      let body = "<p>No results.</p>";
      if (page?.kind === "jsonld") {
        const ld = { "@context": "https://schema.org", "@type": "AudioObject", name: page.title, duration: `PT${Math.round(page.seconds)}S`, contentUrl: `${base}/media/${page.media}.ogg` };
        head += `<script type="application/ld+json">${JSON.stringify(ld)}</script>`;
        body = `<h1>${escape(page.title)}</h1>`;
      } else if (page?.kind === "audio") {
        body = page.media.map((m) => `<audio controls src="/media/${m}.ogg"></audio>`).join("\n");
      }
      return res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(`<!doctype html><html><head>${head}</head><body>${body}</body></html>`);
    }
    // A file that calls itself audio and is not.
    if (u.pathname === "/junk.ogg") return res.writeHead(200, { "content-type": "audio/ogg" }).end("this is not audio\n".repeat(100));
    const m = /^\/media\/([a-z]+)\.ogg$/.exec(u.pathname);
    const recording = m && m[1] in RECORDINGS ? RECORDINGS[m[1] as Recording] : undefined;
    if (!recording) return res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    const path = join(CC_AUDIO, recording.file);
    const size = statSync(path).size;
    const headers = { "content-type": "audio/ogg", "accept-ranges": "bytes" };
    if (req.method === "HEAD") return res.writeHead(200, { ...headers, "content-length": String(size) }).end();
    const bytes = readFileSync(path);
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size) return res.writeHead(416, { "content-range": `bytes */${size}` }).end();
      return res.writeHead(206, { ...headers, "content-range": `bytes ${start}-${end}/${size}`, "content-length": String(end - start + 1) }).end(bytes.subarray(start, end + 1));
    }
    const cut = cuts.get(m![1]);
    if (cut !== undefined && !(req.headers["user-agent"] ?? "").startsWith("Lavf")) {
      res.writeHead(200, { ...headers, "content-length": String(size) });
      res.write(bytes.subarray(0, cut), () => res.destroy());
      return;
    }
    res.writeHead(200, { ...headers, "content-length": String(size) }).end(bytes);
  }, log);
  base = url;
  return {
    url,
    log,
    search: `${url}/search?q={query}`,
    cutDownloads: (media, bytes) => void cuts.set(media, bytes),
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

// ------------------------------------------------------------------------------------------- the CLI

/** `clave <args>` from the sources, without blocking this process (its servers must answer). */
export function runClaveAsync(args: readonly string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("node", [join(ROOT, "bin", "clave.js"), ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, CLAVE_PROGRESS: "0", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 240_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
