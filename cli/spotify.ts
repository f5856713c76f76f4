/**
 * `clave spotify login|logout|status`: the Spotify login the spotify source reads playlists with
 * (Authorization Code + PKCE through a loopback redirect; core/playlist/auth.ts).
 */
import { spawn } from "node:child_process";
import type { Command } from "commander";
import { UsageError } from "../core/errors.ts";
import { DEFAULT_LOGIN_PORT, loginFile, readLogin, removeLogin, spotifyLogin } from "../core/playlist/auth.ts";
import { messageLine, printable } from "./table.ts";

/** Open `url` in the user's browser, with no shell between (cmd would read the `&` of a query). */
function openBrowser(url: string): void {
  const [command, args] =
    process.platform === "darwin" ? ["open", [url]] : process.platform === "win32" ? ["rundll32", ["url.dll,FileProtocolHandler", url]] : ["xdg-open", [url]];
  try {
    const child = spawn(command, args as string[], { stdio: "ignore", detached: true });
    child.on("error", () => undefined);
    child.unref();
  } catch {
    // No browser opener: the printed link is enough.
  }
}

export function registerSpotify(program: Command): void {
  const spotify = program.command("spotify").description("log in to Spotify to read your playlists (the spotify dataset source)");

  spotify
    .command("login")
    .description("log in with your Spotify app (Authorization Code + PKCE) and store the tokens in your config folder (0600)")
    .option("--port <n>", `port of the redirect URI http://127.0.0.1:<port>/callback registered in your app (default ${DEFAULT_LOGIN_PORT})`)
    .option("--client-id <id>", "your app's client id (default SPOTIFY_CLIENT_ID)")
    .option("--timeout <s>", "seconds to wait for the browser (default 300)")
    .option("--no-open", "print the link only; do not open a browser")
    .addHelpText(
      "after",
      `
Create an app at https://developer.spotify.com/dashboard, add the redirect URI
http://127.0.0.1:${DEFAULT_LOGIN_PORT}/callback (Spotify no longer accepts localhost), then:
  SPOTIFY_CLIENT_ID=<your client id> clave spotify login
The refresh token is stored in ${printable(loginFile())} (readable by you only); SPOTIFY_ACCESS_TOKEN
bypasses the login. Since March 2026 the API returns only playlists you own or collaborate on.`,
    )
    .action(async (o: { port?: string; clientId?: string; timeout?: string; open: boolean }) => {
      const port = o.port === undefined ? undefined : Number(o.port);
      if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new UsageError(`--port ${o.port}: expected a port number`);
      const timeoutS = o.timeout === undefined ? undefined : Number(o.timeout);
      if (timeoutS !== undefined && !(timeoutS > 0)) throw new UsageError(`--timeout ${o.timeout}: expected a positive number of seconds`);
      const result = await spotifyLogin({
        clientId: o.clientId,
        port,
        timeoutS,
        onAuthorizeUrl: (url) => {
          process.stderr.write(messageLine("open this link to log in to Spotify (waiting for the browser):"));
          process.stderr.write(`${url}\n`);
          if (o.open) openBrowser(url);
        },
      });
      process.stdout.write(`logged in (scopes: ${printable(result.scope)}); tokens stored in ${printable(result.file)}\n`);
    });

  spotify
    .command("status")
    .description("say whether a login is stored (never prints a token)")
    .action(async () => {
      const login = await readLogin();
      if (process.env.SPOTIFY_ACCESS_TOKEN) process.stdout.write("SPOTIFY_ACCESS_TOKEN is set: it is used first\n");
      if (!login) {
        process.stdout.write(`not logged in (no ${printable(loginFile())})\n`);
        return;
      }
      const minutes = Math.round((login.expires_at - Date.now()) / 60_000);
      process.stdout.write(
        `logged in with client ${printable(login.client_id)} at ${printable(login.accounts_url)}; scopes: ${printable(login.scope)}; ` +
          `access token ${minutes > 0 ? `valid for ${minutes} more minutes` : "expired (refreshed when next used)"}\n`,
      );
    });

  spotify
    .command("logout")
    .description("forget the stored login")
    .action(async () => {
      const had = await removeLogin();
      process.stdout.write(had ? `removed ${printable(loginFile())}\n` : "no login was stored\n");
    });
}
