/**
 * `clave spotify login`'s flow against the fake accounts service: the test plays the browser — it
 * opens the consent URL, follows the redirect to the loopback callback — and the fake checks the PKCE
 * verifier against the challenge. A wrong `state`, a refusal, a busy port and a browser that never
 * comes back each fail clearly and store nothing.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { readLogin, removeLogin, spotifyLogin } from "../../core/playlist/auth.ts";
import { tempDir } from "../helpers.ts";
import { fakeSpotify, runClaveAsync } from "./servers.ts";

const spotify = await fakeSpotify([], { clientId: "my-app" });
afterAll(() => spotify.close());
const dir = tempDir();

/** Play the browser: open the consent page, follow its redirect to the callback; the callback's page. */
async function browse(url: string): Promise<{ status: number; body: string }> {
  const consent = await fetch(url, { redirect: "manual" });
  const callback = consent.headers.get("location");
  if (!callback) return { status: consent.status, body: await consent.text() };
  expect(callback).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/);
  const page = await fetch(callback);
  return { status: page.status, body: await page.text() };
}

describe("clave spotify login", () => {
  test("PKCE through a loopback redirect: tokens stored 0600, the browser told it may close", async () => {
    const file = join(dir, "ok", "spotify.json");
    let browsed: Promise<{ status: number; body: string }> | undefined;
    const result = await spotifyLogin({
      clientId: "my-app",
      port: 0,
      accountsUrl: spotify.url,
      file,
      timeoutS: 60,
      onAuthorizeUrl: (url) => {
        const u = new URL(url);
        expect(u.origin + u.pathname).toBe(`${spotify.url}/authorize`);
        expect(u.searchParams.get("code_challenge_method")).toBe("S256");
        expect(u.searchParams.get("scope")).toBe("playlist-read-private playlist-read-collaborative");
        expect(u.searchParams.get("redirect_uri")).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
        browsed = browse(url);
      },
    });
    expect(result.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(await browsed).toEqual({ status: 200, body: expect.stringContaining("You can close this tab") });
    const login = (await readLogin(file))!;
    expect(login).toMatchObject({ client_id: "my-app", accounts_url: spotify.url, access_token: spotify.tokens.access, refresh_token: spotify.tokens.refresh });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The exchange carried the verifier whose S256 is the challenge (the fake refuses otherwise).
    expect(spotify.log.filter((r) => r.path === "/api/token").length).toBeGreaterThan(0);
    expect(await removeLogin(file)).toBe(true);
    expect(existsSync(file)).toBe(false);
  }, 60_000);

  for (const [mode, message] of [
    ["wrong-state", 'the login was refused or did not come from this request (unexpected "state" response parameter value)'],
    ["deny", "the login was refused or did not come from this request (access_denied"],
  ] as const) {
    test(`a callback with ${mode === "deny" ? "a refusal" : "another state"} fails and stores nothing`, async () => {
      spotify.authorizeMode = mode;
      const file = join(dir, mode, "spotify.json");
      let browsed: Promise<{ status: number; body: string }> | undefined;
      try {
        await expect(spotifyLogin({ clientId: "my-app", port: 0, accountsUrl: spotify.url, file, timeoutS: 60, onAuthorizeUrl: (url) => void (browsed = browse(url)) })).rejects.toThrow(message);
      } finally {
        spotify.authorizeMode = "ok";
      }
      expect((await browsed)!.status).toBe(400);
      expect(existsSync(file)).toBe(false);
    }, 60_000);
  }

  test("a browser that never comes back ends the wait; a busy port, or no client id, is said", async () => {
    await expect(spotifyLogin({ clientId: "my-app", port: 0, accountsUrl: spotify.url, file: join(dir, "t.json"), timeoutS: 0.2, onAuthorizeUrl: () => {} })).rejects.toThrow(
      "no login within 0.2 s",
    );
    const busy = createServer();
    await new Promise<void>((done) => busy.listen(0, "127.0.0.1", done));
    const port = (busy.address() as { port: number }).port;
    try {
      await expect(spotifyLogin({ clientId: "my-app", port, accountsUrl: spotify.url, file: join(dir, "b.json"), onAuthorizeUrl: () => {} })).rejects.toThrow(
        `cannot listen on 127.0.0.1:${port} for the login callback: EADDRINUSE (choose another with --port, and register that redirect URI)`,
      );
    } finally {
      busy.close();
    }
    const saved = process.env.SPOTIFY_CLIENT_ID;
    delete process.env.SPOTIFY_CLIENT_ID;
    try {
      await expect(spotifyLogin({ port: 0, accountsUrl: spotify.url, file: join(dir, "c.json"), onAuthorizeUrl: () => {} })).rejects.toThrow("no client id: set SPOTIFY_CLIENT_ID");
    } finally {
      if (saved !== undefined) process.env.SPOTIFY_CLIENT_ID = saved;
    }
  });

  test("a stored login that is not one is named", async () => {
    const file = join(dir, "bad", "spotify.json");
    mkdirSync(join(dir, "bad"));
    writeFileSync(file, "{ not json");
    await expect(readLogin(file)).rejects.toThrow(`${file}: the Spotify login is not JSON`);
    writeFileSync(file, JSON.stringify({ client_id: "x" }));
    await expect(readLogin(file)).rejects.toThrow(`${file}: the Spotify login lacks a field`);
  });

  test("the CLI: login prints the link, stores the login in CLAVE_CONFIG_DIR; status never prints a token; logout forgets", async () => {
    const config = join(dir, "cli-config");
    const env = { CLAVE_CONFIG_DIR: config, SPOTIFY_CLIENT_ID: "my-app", SPOTIFY_ACCOUNTS_URL: spotify.url, SPOTIFY_ACCESS_TOKEN: "" };
    // The CLI prints the link on stderr; read it as it comes and play the browser.
    const { spawn } = await import("node:child_process");
    const { ROOT } = await import("../helpers.ts");
    const child = spawn("node", [join(ROOT, "bin", "clave.js"), "spotify", "login", "--port", "0", "--no-open", "--timeout", "60"], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let stdout = "";
    let browsed: Promise<unknown> | undefined;
    child.stdout.on("data", (c: Buffer) => (stdout += c));
    child.stderr.on("data", (c: Buffer) => {
      stderr += c;
      const link = /^(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)$/m.exec(stderr)?.[1];
      if (link && !browsed) browsed = browse(link);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    const code = await new Promise<number | null>((done) => child.on("close", done));
    clearTimeout(timer);
    expect(stderr).toContain("open this link to log in to Spotify");
    expect(code).toBe(0);
    expect(stdout).toContain(`tokens stored in ${join(config, "spotify.json")}`);
    await browsed;
    const login = JSON.parse(readFileSync(join(config, "spotify.json"), "utf8")) as { access_token: string; refresh_token: string };
    const status = await runClaveAsync(["spotify", "status"], { env });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("logged in with client my-app");
    expect(status.stdout + status.stderr).not.toContain(login.access_token);
    expect(status.stdout + status.stderr).not.toContain(login.refresh_token);
    expect((await runClaveAsync(["spotify", "logout"], { env })).stdout).toContain("removed");
    expect((await runClaveAsync(["spotify", "status"], { env })).stdout).toContain("not logged in");
  }, 120_000);
});
