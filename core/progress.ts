/**
 * Progress bars for long work (cli-progress), drawn on stderr and only when it is a terminal, so
 * piped or logged output stays clean. `CLAVE_PROGRESS=0` turns them off, `=1` forces them on.
 * In a notebook (tslab), where a bar that redraws itself would print hundreds of lines, progress is
 * printed as lines, Keras-style: one per item for epochs, one per tenth of the work otherwise.
 */
import cliProgress from "cli-progress";
import { inNotebook } from "./display.ts";

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

export interface ProgressOptions {
  /** In a notebook, print a line for every item (epochs) rather than every tenth of the total. */
  readonly everyItem?: boolean;
}

/** Progress as printed lines (notebooks): `label 3/20 15% | status`. */
function lineProgress(total: number, label: string, options: ProgressOptions): Progress {
  const started = Date.now();
  let value = 0;
  let printed = -1;
  const width = String(total).length;
  return {
    tick(n = 1, status = "") {
      value += n;
      const tenth = Math.floor((10 * value) / Math.max(1, total));
      if (!options.everyItem && tenth === printed && value < total) return;
      printed = tenth;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const percent = Math.round((100 * value) / Math.max(1, total));
      process.stdout.write(`${label} ${String(value).padStart(width)}/${total} ${String(percent).padStart(3)}% ${seconds}s${status ? ` | ${status}` : ""}\n`);
    },
    stop() {},
  };
}

/** A bar for `total` items labelled `label`; silent when not on a terminal; lines in a notebook. */
export function progress(total: number, label: string, options: ProgressOptions = {}): Progress {
  if (process.env.CLAVE_PROGRESS !== "0" && inNotebook()) return lineProgress(total, label, options);
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
