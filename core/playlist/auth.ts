/**
 * Spotify credentials: the Authorization Code flow with PKCE from the command line, and the tokens it
 * yields, stored with 0600 permissions in the user's config folder (`spotify.json`) — never in a
 * manifest, a run or a log.
 *
 * `clave spotify login` listens on `http://127.0.0.1:<port>/callback` (Spotify no longer accepts
 * `localhost` redirects), sends the user to Spotify's consent page, checks the `state` it gets back
 * and trades the code (with the PKCE verifier) for tokens. The protocol work — verifier, challenge,
 * the callback's checks, the token requests and the validation of their replies — is oauth4webapi's
 * (maintained, no dependencies): hand-written PKCE would be as long and checked less. It is loaded
 * only when a login or a refresh happens.
 *
 * `SPOTIFY_ACCESS_TOKEN` bypasses the login; `SPOTIFY_CLIENT_ID` names the app; `SPOTIFY_ACCOUNTS_URL`
 * points elsewhere than https://accounts.spotify.com (tests, proxies); `CLAVE_CONFIG_DIR` moves the
 * config folder.
 */
import { mkdir, readFile, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { homedir } from "node:os";
import { join } from "node:path";
import { ConfigError, SpotifyError, fsReason } from "../errors.ts";
import { writeFileAtomic } from "../fsutil.ts";
import { requestSignal, type TokenSource } from "./spotify.ts";

export const DEFAULT_ACCOUNTS_URL = "https://accounts.spotify.com";
/** What reading playlists needs. */
export const SPOTIFY_SCOPES = ["playlist-read-private", "playlist-read-collaborative"] as const;
/** The login's default port: register `http://127.0.0.1:8888/callback` as the app's redirect URI. */
export const DEFAULT_LOGIN_PORT = 8888;

type OAuth = typeof import("oauth4webapi");

/** clave's config folder: `CLAVE_CONFIG_DIR`, else `%APPDATA%\clave` on Windows, else `$XDG_CONFIG_HOME/clave` or `~/.config/clave`. */
export function configDir(): string {
  if (process.env.CLAVE_CONFIG_DIR) return process.env.CLAVE_CONFIG_DIR;
  if (process.platform === "win32" && process.env.APPDATA) return join(process.env.APPDATA, "clave");
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), ".config"), "clave");
}

/** The stored login. */
export interface SpotifyLogin {
  readonly client_id: string;
  readonly accounts_url: string;
  readonly refresh_token: string;
  readonly access_token: string;
  /** When the access token expires, in ms since the epoch. */
  readonly expires_at: number;
  readonly scope: string;
}

export function loginFile(dir = configDir()): string {
  return join(dir, "spotify.json");
}

/** The stored login, or null when there is none. A file that is not one is an error naming it. */
export async function readLogin(file = loginFile()): Promise<SpotifyLogin | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new ConfigError(file, `cannot read the Spotify login: ${fsReason(error)}`);
  }
  let json: Partial<Record<keyof SpotifyLogin, unknown>>;
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    throw new ConfigError(file, "the Spotify login is not JSON: run `clave spotify login` again");
  }
  const strings = ["client_id", "accounts_url", "refresh_token", "access_token", "scope"] as const;
  if (strings.some((k) => typeof json[k] !== "string") || typeof json.expires_at !== "number") {
    throw new ConfigError(file, "the Spotify login lacks a field: run `clave spotify login` again");
  }
  return json as unknown as SpotifyLogin;
}

/** Store a login: the folder 0700, the file 0600, written whole or not at all. */
export async function saveLogin(login: SpotifyLogin, file = loginFile()): Promise<void> {
  await mkdir(join(file, ".."), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
}

/** Forget the stored login; true when there was one. */
export async function removeLogin(file = loginFile()): Promise<boolean> {
  const had = (await readLogin(file).catch(() => true)) !== null;
  await rm(file, { force: true });
  return had;
}

function accountsUrl(given?: string): string {
  return (given ?? process.env.SPOTIFY_ACCOUNTS_URL ?? DEFAULT_ACCOUNTS_URL).replace(/\/+$/, "");
}

function isLoopback(url: URL): boolean {
  return ["127.0.0.1", "[::1]", "localhost"].includes(url.hostname);
}

/** Spotify's accounts service as oauth4webapi describes a server (Spotify publishes no discovery document). */
function server(accounts: string) {
  return { issuer: `${accounts}/`, authorization_endpoint: `${accounts}/authorize`, token_endpoint: `${accounts}/api/token` };
}

/** Options of the token requests: a time limit, and plain http only to a loopback test server. */
function requestOptions(oauth: OAuth, accounts: string) {
  return { signal: () => requestSignal(30_000), [oauth.allowInsecureRequests]: isLoopback(new URL(accounts)) };
}

/** An oauth4webapi failure in words, without tokens: the OAuth error code and description. */
function oauthReason(error: unknown): string {
  const e = error as { error?: unknown; error_description?: unknown; message?: unknown; status?: unknown };
  if (typeof e.error === "string") return `${e.error}${typeof e.error_description === "string" ? `: ${e.error_description}` : ""}`;
  return typeof e.message === "string" ? e.message : String(error);
}

function loginFrom(previous: Pick<SpotifyLogin, "client_id" | "accounts_url" | "refresh_token" | "scope">, reply: { access_token: string; expires_in?: number; refresh_token?: string; scope?: string }): SpotifyLogin {
  return {
    client_id: previous.client_id,
    accounts_url: previous.accounts_url,
    // Spotify may rotate the refresh token: keep the newest.
    refresh_token: reply.refresh_token ?? previous.refresh_token,
    access_token: reply.access_token,
    expires_at: Date.now() + 1000 * (reply.expires_in ?? 3600),
    scope: reply.scope ?? previous.scope,
  };
}

/** Trade the stored refresh token for a new access token, and store the result. */
export async function refreshLogin(login: SpotifyLogin, file = loginFile()): Promise<SpotifyLogin> {
  const oauth = await import("oauth4webapi");
  const as = server(login.accounts_url);
  const client = { client_id: login.client_id };
  let reply;
  try {
    const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), login.refresh_token, requestOptions(oauth, login.accounts_url));
    reply = await oauth.processRefreshTokenResponse(as, client, response);
  } catch (error) {
    throw new SpotifyError(undefined, undefined, `the stored login could not be refreshed (${oauthReason(error)}): run \`clave spotify login\` again`);
  }
  const fresh = loginFrom(login, reply);
  await saveLogin(fresh, file);
  return fresh;
}

/**
 * The access tokens clave uses: `SPOTIFY_ACCESS_TOKEN` when set (refreshed from the stored login, if
 * any, when refused), else the stored login's, refreshed when it has expired or is refused.
 */
export function spotifyTokens(options: { file?: string; accessToken?: string } = {}): TokenSource {
  const file = options.file ?? loginFile();
  const given = options.accessToken ?? process.env.SPOTIFY_ACCESS_TOKEN;
  let login: SpotifyLogin | null | undefined;
  const stored = async () => (login === undefined ? (login = await readLogin(file)) : login);
  const refresh = async (): Promise<string | null> => {
    const current = await stored();
    if (!current) return null;
    login = await refreshLogin(current, file);
    return login.access_token;
  };
  return {
    async token() {
      if (given) return given;
      const current = await stored();
      if (!current) {
        throw new SpotifyError(undefined, undefined, "not logged in: run `clave spotify login` (with SPOTIFY_CLIENT_ID set to your app's client id), or set SPOTIFY_ACCESS_TOKEN");
      }
      if (current.expires_at - 60_000 > Date.now()) return current.access_token;
      return (await refresh())!;
    },
    refresh,
  };
}

export interface LoginOptions {
  /** The app's client id (default `SPOTIFY_CLIENT_ID`). */
  readonly clientId?: string;
  /** Port of the redirect URI `http://127.0.0.1:<port>/callback` (default 8888; 0: any free port). */
  readonly port?: number;
  readonly accountsUrl?: string;
  /** Where to store the login (default the config folder's spotify.json). */
  readonly file?: string;
  /** How long to wait for the browser, in seconds (default 300). */
  readonly timeoutS?: number;
  /** Called with the consent page's URL once the callback listens: print it, open a browser. */
  readonly onAuthorizeUrl: (url: string) => void;
}

export interface LoginResult {
  readonly file: string;
  readonly scope: string;
  readonly redirectUri: string;
}

const PAGE_OK = "<!doctype html><meta charset=utf-8><title>clave</title><p>clave is logged in to Spotify. You can close this tab.</p>\n";
const PAGE_FAILED = "<!doctype html><meta charset=utf-8><title>clave</title><p>The Spotify login failed; the terminal says why.</p>\n";
/** Requests the callback server answers before it gives up (a browser asks for a favicon or two). */
const MAX_CALLBACK_REQUESTS = 50;

/** Log in with Authorization Code + PKCE through a loopback redirect, and store the tokens. */
export async function spotifyLogin(options: LoginOptions): Promise<LoginResult> {
  const clientId = options.clientId ?? process.env.SPOTIFY_CLIENT_ID;
  if (!clientId) throw new SpotifyError(undefined, undefined, "no client id: set SPOTIFY_CLIENT_ID to your app's client id (https://developer.spotify.com/dashboard)");
  const accounts = accountsUrl(options.accountsUrl);
  const file = options.file ?? loginFile();
  const oauth = await import("oauth4webapi");
  const as = server(accounts);
  const client = { client_id: clientId };
  const verifier = oauth.generateRandomCodeVerifier();
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);
  const state = oauth.generateRandomState();

  let settle!: { resolve: (url: URL) => void; reject: (error: Error) => void };
  const callback = new Promise<URL>((resolve, reject) => (settle = { resolve, reject }));
  let requests = 0;
  // The browser's request to /callback, answered once the tokens are stored (or the login failed).
  let pending: ServerResponse | undefined;
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests++;
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/callback" || pending) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      if (requests >= MAX_CALLBACK_REQUESTS) settle.reject(new SpotifyError(undefined, undefined, `${requests} requests to the login callback and none was Spotify's`));
      return;
    }
    pending = res;
    settle.resolve(url);
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", (error: NodeJS.ErrnoException) =>
      reject(new SpotifyError(undefined, undefined, `cannot listen on 127.0.0.1:${options.port ?? DEFAULT_LOGIN_PORT} for the login callback: ${fsReason(error)}${error.code === "EADDRINUSE" ? " (choose another with --port, and register that redirect URI)" : ""}`)),
    );
    http.listen(options.port ?? DEFAULT_LOGIN_PORT, "127.0.0.1", resolve);
  });
  const port = (http.address() as { port: number }).port;
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  const timeoutS = options.timeoutS ?? 300;
  const timer = setTimeout(() => settle.reject(new SpotifyError(undefined, undefined, `no login within ${timeoutS} s: run \`clave spotify login\` again`)), timeoutS * 1000);
  const answer = (page: string, status: number) => {
    if (pending && !pending.headersSent) pending.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(page);
  };
  try {
    const authorize = new URL(as.authorization_endpoint);
    authorize.search = new URLSearchParams({
      client_id: clientId,
      response_type: "code",
      redirect_uri: redirectUri,
      code_challenge_method: "S256",
      code_challenge: challenge,
      state,
      scope: SPOTIFY_SCOPES.join(" "),
    }).toString();
    options.onAuthorizeUrl(authorize.href);
    const returned = await callback;
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(as, client, returned, state);
    } catch (error) {
      throw new SpotifyError(undefined, undefined, `the login was refused or did not come from this request (${oauthReason(error)})`);
    }
    let reply;
    try {
      const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, verifier, requestOptions(oauth, accounts));
      reply = await oauth.processAuthorizationCodeResponse(as, client, response);
    } catch (error) {
      throw new SpotifyError(undefined, undefined, `the login code could not be traded for tokens (${oauthReason(error)})`);
    }
    if (!reply.refresh_token) throw new SpotifyError(undefined, undefined, "Spotify sent no refresh token");
    const login = loginFrom({ client_id: clientId, accounts_url: accounts, refresh_token: reply.refresh_token, scope: "" }, reply);
    await saveLogin(login, file);
    answer(PAGE_OK, 200);
    return { file, scope: login.scope, redirectUri };
  } catch (error) {
    answer(PAGE_FAILED, 400);
    throw error;
  } finally {
    clearTimeout(timer);
    http.close();
    http.closeAllConnections?.();
  }
}
