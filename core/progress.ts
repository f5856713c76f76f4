/**
 * Progress bars for long work (cli-progress), drawn on stderr and only when it is a terminal, so
 * piped or logged output stays clean. `CLAVE_PROGRESS=0` turns them off, `=1` forces them on.
 */
import cliProgress from "cli-progress";

export interface Progress {
  /** Advance by `n` items; `status` replaces the text after the bar (current file, loss...). */
  tick(n?: number, status?: string): void;
  stop(): void;
}

function enabled(): boolean {
  const flag = process.env.CLAVE_PROGRESS;
  if (flag === "0") return false;
  if (flag === "1") return true;
  return Boolean(process.stderr.isTTY && process.stdout.isTTY) && !process.env.CI;
}

/** A bar for `total` items labelled `label`; silent when not on a terminal. */
export function progress(total: number, label: string): Progress {
  if (!enabled()) return { tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} {bar} {value}/{total} {percentage}% | eta {eta_formatted} | {status}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
      // CLAVE_PROGRESS=1 forces the bar onto a non-terminal too (logs, CI): first and last state, then every 2 s.
      noTTYOutput: process.env.CLAVE_PROGRESS === "1",
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { status: "" });
  let value = 0;
  return {
    tick(n = 1, status = "") {
      value += n;
      bar.update(value, { status });
    },
    stop() {
      bar.stop();
    },
  };
}
