/**
 * The Spotify client against a local fake that speaks the API's JSON: paging by `next`, entries that
 * are null, episodes or local files, 401 then a refresh, 403, 404, 429 with Retry-After.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { SpotifyError } from "../../core/errors.ts";
import { readLogin, saveLogin, spotifyTokens } from "../../core/playlist/auth.ts";
import { PAGE_LIMIT, playlistId, SpotifyClient, type TokenSource } from "../../core/playlist/spotify.ts";
import { tempDir } from "../helpers.ts";
import { EPISODE_ENTRY, fakeSpotify, LOCAL_ENTRY, NULL_ENTRY, trackEntry } from "./servers.ts";

const id = (n: number) => `tr${String(n).padStart(20, "0")}`;
const LONG = "L".repeat(22);
const MIXED = "M".repeat(22);
const FORBIDDEN = "F".repeat(22);
const LIMITED = "R".repeat(22);
const STUBBORN = "S".repeat(22);
const longEntries = Array.from({ length: 120 }, (_, i) => trackEntry(id(i), `Song ${i}`, [`Artist ${i % 7}`, "Guest"], 180_000 + i));
const spotify = await fakeSpotify([
  { id: LONG, entries: longEntries },
  { id: MIXED, entries: [NULL_ENTRY, trackEntry(id(500), "Quimbara", ["Celia Cruz", "Johnny Pacheco"], 212_000, "Celia & Johnny"), EPISODE_ENTRY, LOCAL_ENTRY, { added_at: "x" }] },
  { id: FORBIDDEN, entries: [], forbidden: true },
  { id: LIMITED, entries: [trackEntry(id(600), "Son", ["A"], 1000)], rateLimited: { times: 2, retryAfter: "7" } },
  { id: STUBBORN, entries: [], rateLimited: { times: 100, retryAfter: "1" } },
]);
afterAll(() => spotify.close());

/** The fake's current token, with no refresh. */
const fixed = (token = () => spotify.tokens.access): TokenSource => ({ token: async () => token(), refresh: async () => null });
const waits: number[] = [];
const client = (tokens: TokenSource = fixed(), options = {}) =>
  new SpotifyClient(tokens, { apiUrl: spotify.url, sleep: async (ms) => void waits.push(ms), maxWaitS: 5, jitterS: 0.5, ...options });

describe("Spotify playlist items", () => {
  test("links, URIs and ids name a playlist; anything else does not", () => {
    expect(playlistId(`https://open.spotify.com/playlist/${LONG}?si=abc123`)).toBe(LONG);
    expect(playlistId(`https://open.spotify.com/intl-es/playlist/${LONG}`)).toBe(LONG);
    expect(playlistId(`spotify:playlist:${LONG}`)).toBe(LONG);
    expect(playlistId(LONG)).toBe(LONG);
    expect(playlistId(`https://open.spotify.com/album/${LONG}`)).toBeNull();
    expect(playlistId("https://evil.example/playlist/" + LONG)).toBeNull();
    expect(playlistId("../../etc")).toBeNull();
  });

  test("pages of at most 50 are followed by their next link, to the last entry", async () => {
    const before = spotify.log.length;
    const items = await client().playlistItems(`https://open.spotify.com/playlist/${LONG}`);
    expect(items.tracks).toHaveLength(120);
    expect(items.tracks[119]).toEqual({ id: id(119), title: "Song 119", artists: ["Artist 0", "Guest"], album: "An Album", duration_s: 180.119 });
    const requests = spotify.log.slice(before).map((r) => new URL(r.path, spotify.url));
    expect(requests.map((u) => u.pathname)).toEqual(Array(3).fill(`/v1/playlists/${LONG}/items`));
    expect(requests.map((u) => Number(u.searchParams.get("limit")))).toEqual([PAGE_LIMIT, PAGE_LIMIT, PAGE_LIMIT]);
    expect(requests.map((u) => Number(u.searchParams.get("offset") ?? 0))).toEqual([0, 50, 100]);
  });

  test("null items, episodes and local files are skipped and counted", async () => {
    const items = await client().playlistItems(MIXED);
    expect(items.tracks).toEqual([{ id: id(500), title: "Quimbara", artists: ["Celia Cruz", "Johnny Pacheco"], album: "Celia & Johnny", duration_s: 212 }]);
    expect(items.skipped).toEqual({ empty: 2, episodes: 1, local: 1 });
  });

  test("403 says to copy the playlist into one's own account; 404 says there is no such playlist", async () => {
    const forbidden = client().playlistItems(`spotify:playlist:${FORBIDDEN}`);
    await expect(forbidden).rejects.toBeInstanceOf(SpotifyError);
    await expect(forbidden).rejects.toThrow(`Spotify playlist spotify:playlist:${FORBIDDEN}: 403 (Forbidden): Spotify gives the items only of playlists you own or collaborate on; copy the playlist into your account`);
    await expect(client().playlistItems("N".repeat(22))).rejects.toThrow(`Spotify playlist ${"N".repeat(22)}: 404 (Resource not found): no such playlist`);
    await expect(client().playlistItems("not a playlist")).rejects.toThrow("not a playlist link, spotify:playlist: URI or 22-character id");
  });

  test("429 waits Retry-After seconds, capped, with jitter, then goes on; a bounded number of times", async () => {
    waits.length = 0;
    const items = await client().playlistItems(LIMITED);
    expect(items.tracks.map((t) => t.id)).toEqual([id(600)]);
    // Retry-After: 7, capped at maxWaitS 5, plus up to jitterS 0.5.
    expect(waits).toHaveLength(2);
    for (const ms of waits) {
      expect(ms).toBeGreaterThanOrEqual(5000);
      expect(ms).toBeLessThanOrEqual(5500);
    }
    waits.length = 0;
    await expect(client(fixed(), { maxRetries: 3 }).playlistItems(STUBBORN)).rejects.toThrow(`Spotify playlist ${STUBBORN}: 429 (API rate limit exceeded), still after 3 retries`);
    expect(waits).toHaveLength(3);
  });

  test("401 refreshes the token once and retries; a second 401 is an error that says how to log in", async () => {
    let refreshes = 0;
    const refreshing: TokenSource = {
      token: async () => "stale",
      refresh: async () => {
        refreshes++;
        return spotify.tokens.access;
      },
    };
    expect((await client(refreshing).playlistItems(MIXED)).tracks).toHaveLength(1);
    expect(refreshes).toBe(1);
    const useless: TokenSource = { token: async () => "stale", refresh: async () => "also-stale" };
    await expect(client(useless).playlistItems(MIXED)).rejects.toThrow("401 (Invalid access token): the access token was refused after a refresh; run `clave spotify login`");
    await expect(client(fixed(() => "stale")).playlistItems(MIXED)).rejects.toThrow("the access token was refused; run `clave spotify login` (or set a fresh SPOTIFY_ACCESS_TOKEN)");
  });

  test("a next link to another origin is not followed (the token would go with it)", async () => {
    const other = await fakeSpotify([{ id: LONG, entries: longEntries }]);
    try {
      // The fake writes its own origin into `next`; seen from another base URL it is foreign.
      const viaOtherName = new SpotifyClient(fixed(() => other.tokens.access), { apiUrl: other.url.replace("127.0.0.1", "localhost") });
      await expect(viaOtherName.playlistItems(LONG)).rejects.toThrow(`next link leads to ${other.url}, not`);
    } finally {
      await other.close();
    }
  });
});

describe("Spotify tokens", () => {
  const dir = tempDir();
  const file = join(dir, "config", "spotify.json");

  test("an expired stored login is refreshed, the rotated refresh token stored 0600, and used", async () => {
    await saveLogin(
      { client_id: "test-client-id", accounts_url: spotify.url, refresh_token: spotify.tokens.refresh, access_token: "old", expires_at: Date.now() - 1000, scope: "playlist-read-private" },
      file,
    );
    const tokens = spotifyTokens({ file, accessToken: "" });
    const items = await client(tokens).playlistItems(MIXED);
    expect(items.tracks).toHaveLength(1);
    const stored = (await readLogin(file))!;
    expect(stored.access_token).toBe(spotify.tokens.access);
    expect(stored.refresh_token).toBe(spotify.tokens.refresh);
    expect(stored.expires_at).toBeGreaterThan(Date.now() + 3_000_000);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "config")).mode & 0o777).toBe(0o700);
  });

  test("a token that expires mid-run (401) is refreshed once from the stored login", async () => {
    const tokens = spotifyTokens({ file, accessToken: "" });
    const before = (await readLogin(file))!.refresh_token;
    spotify.expireNext();
    expect((await client(tokens).playlistItems(MIXED)).tracks).toHaveLength(1);
    expect((await readLogin(file))!.refresh_token).not.toBe(before);
  });

  test("a refused refresh token, or no login at all, says to log in; no token is ever in the message", async () => {
    const stale = (await readLogin(file))!;
    await saveLogin({ ...stale, refresh_token: "revoked", expires_at: 0 }, file);
    const error = await client(spotifyTokens({ file, accessToken: "" })).playlistItems(MIXED).catch((e: Error) => e);
    expect(error).toBeInstanceOf(SpotifyError);
    expect(String(error)).toContain("the stored login could not be refreshed (invalid_grant: Invalid refresh token): run `clave spotify login` again");
    expect(String(error)).not.toContain("revoked");
    expect(String(error)).not.toContain(stale.access_token);
    await expect(client(spotifyTokens({ file: join(dir, "nowhere.json"), accessToken: "" })).playlistItems(MIXED)).rejects.toThrow(
      "not logged in: run `clave spotify login` (with SPOTIFY_CLIENT_ID set to your app's client id), or set SPOTIFY_ACCESS_TOKEN",
    );
  });

  test("SPOTIFY_ACCESS_TOKEN (or the option) is used as it is", async () => {
    expect(await spotifyTokens({ file: join(dir, "nowhere.json"), accessToken: "given" }).token()).toBe("given");
    expect(await spotifyTokens({ file: join(dir, "nowhere.json"), accessToken: "given" }).refresh()).toBeNull();
  });
});
