/** Shared test helpers: the repository's paths, temporary folders, and running the real CLI. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll } from "bun:test";

export const ROOT = resolve(import.meta.dir, "..");
export const SHARED = resolve(ROOT, "..", "shared");
export const REFERENCE = join(SHARED, "reference", "librosa");
export const CC_AUDIO = join(SHARED, "audio", "cc");
/** Debian's Python with numpy, scipy, scikit-learn (not the pyenv one on PATH). */
export const PYTHON = "/usr/bin/python3";

/** A fresh temporary folder, removed when the test file ends. */
export function tempDir(prefix = "clave-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `npx clave ...` as a user would: through bin/clave.js. */
export function runClave(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): RunResult {
  const result = spawnSync("node", [join(ROOT, "bin", "clave.js"), ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: "utf8",
    env: { ...process.env, CLAVE_PROGRESS: "0", ...options.env },
    timeout: 300_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Run a Python snippet with Debian's python3 (numpy available); returns stdout. */
export function python(code: string): string {
  const result = spawnSync(PYTHON, ["-c", code], { encoding: "utf8", timeout: 120_000 });
  if (result.status !== 0) throw new Error(`python failed: ${result.stderr}`);
  return result.stdout;
}
