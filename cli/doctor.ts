/**
 * `clave doctor`: what this machine offers clave — runtime, compute backend, and the external tools
 * (ffmpeg, yt-dlp, Jupyter, the tslab kernel) — with the command that installs each missing one.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { backendInfo, type BackendInfo } from "../core/backend.ts";
import { findDeno, isOutdated, JS_RUNTIME_VERSION, YTDLP_UPDATE } from "../core/playlist/ytdlp.ts";
import { formatTable } from "./table.ts";

export interface ToolCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  /** How to install it when it is missing. */
  readonly install?: string;
  /** Present but too old for part of its job: what is missing and how to update it. */
  readonly update?: string;
  readonly neededFor: string;
}

export interface DoctorReport {
  readonly runtime: string;
  readonly platform: string;
  /** Cores this process may use (what `workers` and `CLAVE_THREADS=auto` can spread over). */
  readonly cores: number;
  readonly backend: BackendInfo | { error: string };
  readonly tools: ToolCheck[];
}

function firstLine(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 15_000 });
  if (result.error || result.status !== 0) return undefined;
  return `${result.stdout}${result.stderr}`.trim().split("\n")[0];
}

/** The runtime running clave, as `bun 1.x`, `deno 2.x` or `node 20.x`. */
export function runtimeName(): string {
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.bun) return `bun ${versions.bun}`;
  const deno = (globalThis as { Deno?: { version: { deno: string } } }).Deno;
  if (deno) return `deno ${deno.version.deno}`;
  return `node ${process.versions.node}`;
}

function tslabBinary(cwd: string): string | undefined {
  try {
    const pkg = createRequire(join(cwd, "package.json")).resolve("tslab/package.json");
    const bin = join(pkg, "..", "bin", "tslab");
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

export function checkTools(cwd = process.cwd()): ToolCheck[] {
  const ffmpeg = firstLine("ffmpeg", ["-hide_banner", "-version"]);
  const ytdlpBinary = process.env.CLAVE_YTDLP || "yt-dlp";
  const ytdlp = firstLine(ytdlpBinary, ["--version"]);
  const deno = findDeno(cwd);
  const jupyter = firstLine("jupyter", ["nbconvert", "--version"]);
  const tslab = tslabBinary(cwd);
  const kernels = firstLine("jupyter", ["kernelspec", "list"]) !== undefined
    ? spawnSync("jupyter", ["kernelspec", "list"], { encoding: "utf8", timeout: 15_000 }).stdout
    : "";
  const kernelInstalled = /\btslab\b/.test(kernels);
  return [
    {
      name: "ffmpeg",
      ok: ffmpeg !== undefined,
      detail: ffmpeg?.replace(/ Copyright.*/, "") ?? "not found (clave falls back to its npm decoders)",
      install: "apt-get install ffmpeg",
      neededFor: "fast decoding of every audio format",
    },
    {
      name: "yt-dlp",
      ok: ytdlp !== undefined,
      detail: ytdlp
        ? `yt-dlp ${ytdlp}${isOutdated(ytdlp) ? ` (older than ${JS_RUNTIME_VERSION}: YouTube needs a newer one, with a JavaScript runtime)` : `; JavaScript runtime for YouTube: ${deno ? `deno at ${deno}` : "no deno found (CLAVE_DENO=<path>)"}`}`
        : "not found",
      install: `apt-get install yt-dlp, or ${YTDLP_UPDATE}`,
      ...(ytdlp && isOutdated(ytdlp) ? { update: YTDLP_UPDATE } : {}),
      neededFor: "downloading the audio of playlists (spotify and tracklist sources)",
    },
    {
      name: "jupyter",
      ok: jupyter !== undefined,
      detail: jupyter ? `nbconvert ${jupyter}` : "not found",
      install: "apt-get install jupyter-nbconvert jupyter-client python3-ipykernel",
      neededFor: "TypeScript notebooks",
    },
    {
      name: "tslab",
      ok: tslab !== undefined && kernelInstalled,
      detail: tslab ? (kernelInstalled ? "kernel installed" : "package present, kernel not registered") : "not found",
      install: `npm install tslab && npx tslab install --python=/usr/bin/python3 --binary=${tslab ?? "$(pwd)/node_modules/tslab/bin/tslab"}`,
      neededFor: "the TypeScript Jupyter kernel",
    },
  ];
}

export async function doctor(cwd = process.cwd()): Promise<DoctorReport> {
  let backend: DoctorReport["backend"];
  try {
    backend = await backendInfo();
  } catch (error) {
    backend = { error: (error as Error).message };
  }
  return { runtime: runtimeName(), platform: `${process.platform}-${process.arch}`, cores: availableParallelism(), backend, tools: checkTools(cwd) };
}

export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description("report the runtime, the compute backend and the external tools clave can use")
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      `
The backend is chosen as tfjs-node-gpu, then tfjs-node, then wasm; CLAVE_BACKEND=node-gpu|node|wasm|cpu
forces one; CLAVE_THREADS=N|auto runs the wasm backend's products on N threads. Each missing tool is listed with the command that installs it, each outdated one with how
to update it (yt-dlp from ${JS_RUNTIME_VERSION} on needs deno for YouTube; clave passes --js-runtimes).`,
    )
    .action(async (options: { json?: boolean }) => {
      const report = await doctor();
      if (options.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        const b = report.backend;
        const backendText =
          "error" in b
            ? `none: ${b.error}`
            : `${b.choice} (tf.getBackend() = ${b.tfBackend}, tfjs ${b.tfjsVersion}${b.simd !== undefined ? `, simd ${b.simd ? "on" : "off"}, ${b.threads} thread(s)` : ""})`;
        process.stdout.write(`runtime   ${report.runtime} on ${report.platform}\nbackend   ${backendText}\n`);
        if (!("error" in b)) {
          for (const [name, why] of Object.entries(b.skipped)) process.stdout.write(`          skipped ${name}: ${why}\n`);
          if (b.kernels?.length) process.stdout.write(`kernels   ${b.kernels.length} of clave's wasm kernels active (CLAVE_KERNELS=0 turns them off): ${b.kernels.join(", ")}\n`);
          if (b.choice === "wasm" && report.cores > 1) {
            process.stdout.write(
              `cores     ${report.cores}: train on them with --param workers=${report.cores} (data-parallel); predict with CLAVE_THREADS=${report.cores} (the backend's products on ${report.cores} threads)\n`,
            );
          }
        }
        process.stdout.write("\n");
        process.stdout.write(
          `${formatTable(
            report.tools.map((t) => ({
              tool: t.name,
              status: t.ok ? (t.update ? "outdated" : "ok") : "missing",
              detail: t.detail,
              "for": t.neededFor,
              install: t.ok ? (t.update ?? "") : t.install,
            })),
          )}\n`,
        );
      }
      if ("error" in report.backend) process.exitCode = 1;
    });
}
