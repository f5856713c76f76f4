/**
 * A small typed client for the one Spotify Web API call clave makes, as the API is in 2026:
 * `GET /v1/playlists/{id}/items`, paged by following `next` (at most 50 a page). Development-mode apps
 * get 403 from the old `/tracks` path since February–March 2026, and `/items` only returns playlists
 * the user owns or collaborates on. Entries are `{ added_at, item }`, where `item` may be null, an
 * episode or a local file (`id: null`): those are skipped and counted.
 *
 * 401 refreshes the token once; 429 (and 5xx) waits `Retry-After` seconds, capped and with jitter, a
 * bounded number of times; any other status is an error naming the playlist and the status. Each
 * request is aborted after a time limit. `next` links are followed only on the API's own origin, so
 * the token never goes anywhere else.
 *
 * Why not a library: `spotify-web-api-node` has had no release since 2021 and calls the removed
 * `/tracks` path; `@spotify/web-api-ts-sdk` calls `/tracks` too, throws on 429 and needs a browser
 * for PKCE. One call over `fetch` is a page of code.
 */
import { SpotifyError } from "../errors.ts";

export const DEFAULT_API_URL = "https://api.spotify.com";
/** Page size of `/items` (the API's maximum). */
export const PAGE_LIMIT = 50;
/** A playlist holds at most 10,000 items: more pages than this means a `next` that never ends. */
const MAX_PAGES = 10_000 / PAGE_LIMIT + 1;

/** A playlist's id from its link (`https://open.spotify.com/playlist/<id>?si=…`, `/intl-es/playlist/<id>`), URI (`spotify:playlist:<id>`) or the bare id. */
export function playlistId(ref: string): string | null {
  const text = ref.trim();
  const m =
    /^spotify:playlist:([A-Za-z0-9]{22})$/.exec(text) ??
    /^https?:\/\/open\.spotify\.com\/(?:intl-[a-z-]+\/)?(?:user\/[^/]+\/)?playlist\/([A-Za-z0-9]{22})(?:[/?#].*)?$/i.exec(text) ??
    /^([A-Za-z0-9]{22})$/.exec(text);
  return m ? m[1] : null;
}

/** A track of a playlist, as clave keeps it: search keys only. */
export interface PlaylistTrack {
  readonly id: string;
  readonly title: string;
  /** Every artist's name, the first being the main one. */
  readonly artists: string[];
  readonly album: string;
  readonly duration_s: number | null;
}

export interface PlaylistItems {
  readonly id: string;
  readonly tracks: PlaylistTrack[];
  /** Entries left out: null items, episodes, local files. */
  readonly skipped: { readonly empty: number; readonly episodes: number; readonly local: number };
}

/** Where the access token comes from: `token()` gives the current one, `refresh()` a new one (null: cannot). */
export interface TokenSource {
  token(): Promise<string>;
  refresh(): Promise<string | null>;
}

export interface SpotifyClientOptions {
  /** Default `SPOTIFY_API_URL`, else https://api.spotify.com. */
  readonly apiUrl?: string;
  /** Retries of a 429 or 5xx reply (default 5). */
  readonly maxRetries?: number;
  /** Longest wait for one `Retry-After`, in seconds (default 60). */
  readonly maxWaitS?: number;
  /** Up to this many seconds are added at random to each wait (default 1). */
  readonly jitterS?: number;
  /** Time limit of one request, in ms (default 30 s). */
  readonly timeoutMs?: number;
  readonly abort?: AbortSignal;
  /** How to wait (tests record the waits). */
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Page {
  items: unknown[];
  next: string | null;
}

const wait = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** A signal that fires after `ms` or when `abort` does (AbortSignal.any is newer than Node 20.0). */
export function requestSignal(ms: number, abort?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  if (!abort) return timeout;
  const controller = new AbortController();
  const stop = (signal: AbortSignal) => () => controller.abort(signal.reason);
  timeout.addEventListener("abort", stop(timeout), { once: true });
  if (abort.aborted) controller.abort(abort.reason);
  else abort.addEventListener("abort", stop(abort), { once: true });
  return controller.signal;
}

/** The API's error text (`{"error":{"status":404,"message":"..."}}`), without anything else of the body. */
async function apiMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { message?: unknown } | string; error_description?: unknown };
    const message = typeof body.error === "object" ? body.error?.message : body.error_description ?? body.error;
    return typeof message === "string" ? message.slice(0, 300) : "";
  } catch {
    return "";
  }
}

function parsePage(json: unknown): Page | null {
  if (!json || typeof json !== "object") return null;
  const { items, next } = json as { items?: unknown; next?: unknown };
  if (!Array.isArray(items) || !(next === null || next === undefined || typeof next === "string")) return null;
  return { items, next: next ?? null };
}

export class SpotifyClient {
  private readonly api: URL;

  constructor(
    private readonly tokens: TokenSource,
    private readonly options: SpotifyClientOptions = {},
  ) {
    const base = options.apiUrl ?? process.env.SPOTIFY_API_URL ?? DEFAULT_API_URL;
    try {
      this.api = new URL(base);
    } catch {
      throw new SpotifyError(undefined, undefined, `SPOTIFY_API_URL ${JSON.stringify(base)} is not a URL`);
    }
  }

  /** Every entry of the playlist `ref` (link, URI or id). */
  async playlistItems(ref: string): Promise<PlaylistItems> {
    const id = playlistId(ref);
    if (!id) throw new SpotifyError(ref, undefined, "not a playlist link, spotify:playlist: URI or 22-character id");
    const tracks: PlaylistTrack[] = [];
    const skipped = { empty: 0, episodes: 0, local: 0 };
    let url: URL | null = new URL(`v1/playlists/${id}/items?limit=${PAGE_LIMIT}`, this.api.href.endsWith("/") ? this.api : `${this.api.href}/`);
    const seen = new Set<string>();
    while (url) {
      if (seen.has(url.href) || seen.size >= MAX_PAGES) throw new SpotifyError(ref, undefined, `the pages' next links do not end (after ${seen.size} pages)`);
      seen.add(url.href);
      const page = parsePage(await this.get(url, ref));
      if (!page) throw new SpotifyError(ref, undefined, "the reply is not a page of playlist items ({ items, next })");
      for (const entry of page.items) {
        const item = entry && typeof entry === "object" ? ((entry as { item?: unknown; track?: unknown }).item ?? (entry as { track?: unknown }).track) : null;
        const track = readTrack(item);
        if (track === "empty") skipped.empty++;
        else if (track === "episode") skipped.episodes++;
        else if (track === "local") skipped.local++;
        else tracks.push(track);
      }
      url = page.next ? this.sameOrigin(page.next, ref) : null;
    }
    return { id, tracks, skipped };
  }

  private sameOrigin(next: string, ref: string): URL {
    let url: URL;
    try {
      url = new URL(next, this.api);
    } catch {
      throw new SpotifyError(ref, undefined, `next link ${JSON.stringify(next.slice(0, 200))} is not a URL`);
    }
    if (url.origin !== this.api.origin) throw new SpotifyError(ref, undefined, `next link leads to ${url.origin}, not ${this.api.origin}: not followed`);
    return url;
  }

  /** GET `url` as JSON: 401 refreshes once, 429 and 5xx wait and retry a bounded number of times. */
  private async get(url: URL, ref: string): Promise<unknown> {
    const maxRetries = this.options.maxRetries ?? 5;
    let token = await this.tokens.token();
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, { headers: { Authorization: `Bearer ${token}`, Accept: "application/json" }, signal: requestSignal(this.options.timeoutMs ?? 30_000, this.options.abort) });
      } catch (error) {
        const reason = (error as Error).name === "TimeoutError" ? "no reply in time" : (error as Error).message;
        throw new SpotifyError(ref, undefined, `cannot reach ${this.api.origin}: ${reason}`);
      }
      if (response.ok) {
        try {
          return await response.json();
        } catch {
          throw new SpotifyError(ref, response.status, "the reply is not JSON");
        }
      }
      const message = await apiMessage(response);
      const status = `${response.status}${message ? ` (${message})` : ""}`;
      if (response.status === 401) {
        const fresh = refreshed ? null : await this.tokens.refresh();
        if (!fresh) {
          throw new SpotifyError(ref, 401, `${status}: the access token was refused${refreshed ? " after a refresh" : ""}; run \`clave spotify login\` (or set a fresh SPOTIFY_ACCESS_TOKEN)`);
        }
        token = fresh;
        refreshed = true;
        continue;
      }
      if (response.status === 403) {
        throw new SpotifyError(
          ref,
          403,
          `${status}: Spotify gives the items only of playlists you own or collaborate on; copy the playlist into your account (in the Spotify app: Add to other playlist, New playlist) and list the copy's link`,
        );
      }
      if (response.status === 429 || response.status >= 500) {
        if (attempt >= maxRetries) throw new SpotifyError(ref, response.status, `${status}, still after ${maxRetries} retries`);
        const retryAfter = Number(response.headers.get("retry-after"));
        const seconds = Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : 2 ** attempt;
        const ms = 1000 * (Math.min(seconds, this.options.maxWaitS ?? 60) + Math.random() * (this.options.jitterS ?? 1));
        await (this.options.sleep ?? wait)(ms);
        if (this.options.abort?.aborted) throw new SpotifyError(ref, response.status, "aborted while waiting to retry");
        continue;
      }
      throw new SpotifyError(ref, response.status, response.status === 404 ? `${status}: no such playlist (or it is not visible to this account)` : status);
    }
  }
}

/** A track entry's search keys, or why it is skipped. */
function readTrack(item: unknown): PlaylistTrack | "empty" | "episode" | "local" {
  if (!item || typeof item !== "object") return "empty";
  const t = item as { id?: unknown; name?: unknown; type?: unknown; is_local?: unknown; artists?: unknown; album?: unknown; duration_ms?: unknown };
  if (t.type === "episode") return "episode";
  if (t.is_local === true || t.id === null || t.id === undefined) return "local";
  if (typeof t.id !== "string" || !/^[A-Za-z0-9]{1,64}$/.test(t.id) || typeof t.name !== "string") return "empty";
  const artists = Array.isArray(t.artists)
    ? t.artists.map((a) => (a && typeof a === "object" && typeof (a as { name?: unknown }).name === "string" ? (a as { name: string }).name : "")).filter((n) => n !== "")
    : [];
  const album = t.album && typeof t.album === "object" && typeof (t.album as { name?: unknown }).name === "string" ? (t.album as { name: string }).name : "";
  const duration = typeof t.duration_ms === "number" && t.duration_ms > 0 ? t.duration_ms / 1000 : null;
  return { id: t.id, title: t.name, artists, album, duration_s: duration };
}
