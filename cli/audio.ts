/**
 * `clave audio info <file...>`: format, codec, rate, channels, duration of each file.
 * `clave audio load <file> --out y.npy`: the float32 signal `librosa.load` returns, as a NumPy `.npy`.
 */
import type { Command } from "commander";
import { audioInfo, loadAudio, type AudioInfo, type DecoderChoice } from "../core/audio/index.ts";
import { UsageError } from "../core/errors.ts";
import { fileError } from "../core/fsutil.ts";
import { writeNpy } from "../core/npy.ts";
import { ndarray } from "../core/ndarray.ts";
import { formatTable } from "./table.ts";

const DECODERS: readonly DecoderChoice[] = ["auto", "ffmpeg", "npm"];

function parseDecoder(value: string | undefined): DecoderChoice {
  const decoder = (value ?? "auto") as DecoderChoice;
  if (!DECODERS.includes(decoder)) throw new UsageError(`--decoder ${value}: expected one of ${DECODERS.join(", ")}`);
  return decoder;
}

function parseSeconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} ${value}: expected a non-negative number of seconds`);
  return n;
}

function parseRate(value: string | undefined): number | null {
  if (value === undefined) return 22050;
  if (value === "native" || value === "none") return null;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--sr ${value}: expected a rate in Hz, or "native"`);
  return n;
}

export function registerAudio(program: Command): void {
  const audio = program.command("audio").description("decode audio as librosa.load does; inspect audio files");

  audio
    .command("info")
    .description("format, codec, sampling rate, channels and duration of audio files")
    .argument("<file...>", "audio files")
    .option("--decoder <path>", `how to read non-WAV files: ${DECODERS.join(", ")}`, "auto")
    .option("--json", "print JSON (one object per file; failures as {path, error})")
    .action(async (files: string[], options: { decoder?: string; json?: boolean }) => {
      const decoder = parseDecoder(options.decoder);
      const infos: AudioInfo[] = [];
      const failures: { path: string; error: string }[] = [];
      for (const file of files) {
        try {
          infos.push(await audioInfo(file, { decoder }));
        } catch (error) {
          // One bad file (a folder, a symlink loop, a device) is reported and the others go on.
          failures.push({ path: file, error: fileError(file, error).message });
        }
      }
      if (options.json) {
        process.stdout.write(`${JSON.stringify([...infos, ...failures], null, 2)}\n`);
      } else if (infos.length > 0) {
        const rows = infos.map((i) => ({
          path: i.path,
          format: i.format,
          codec: i.codec,
          sr: i.sr,
          channels: i.channels,
          duration_s: i.duration === null ? null : Number(i.duration.toFixed(3)),
        }));
        process.stdout.write(`${formatTable(rows)}\n`);
      }
      for (const f of failures) process.stderr.write(`clave: ${f.error}\n`);
      if (failures.length > 0) {
        process.stderr.write(`clave: ${failures.length} of ${files.length} file(s) could not be read\n`);
        process.exitCode = 1;
      }
    });

  audio
    .command("load")
    .description("decode a file to the float32 signal librosa.load returns and write it as .npy")
    .argument("<file>", "audio file")
    .requiredOption("--out <file.npy>", "where to write the signal (NumPy .npy, float32)")
    .option("--sr <hz>", 'target sampling rate, or "native" for the file\'s own', "22050")
    .option("--no-mono", "keep the channels: a (channels, samples) array")
    .option("--offset <seconds>", "start this far into the file")
    .option("--duration <seconds>", "read at most this long")
    .option("--decoder <path>", `decoding path: ${DECODERS.join(", ")}`, "auto")
    .addHelpText(
      "after",
      `
Examples:
  clave audio load blues.00000.au --out y.npy              # 22050 Hz mono, as librosa.load
  clave audio load track.opus --sr native --no-mono --out y.npy`,
    )
    .action(
      async (
        file: string,
        options: { out: string; sr?: string; mono: boolean; offset?: string; duration?: string; decoder?: string },
      ) => {
        if (!options.out.endsWith(".npy")) throw new UsageError(`--out ${options.out}: expected a .npy file name`);
        const signal = await loadAudio(file, {
          sr: parseRate(options.sr),
          mono: options.mono,
          offset: parseSeconds("--offset", options.offset),
          duration: parseSeconds("--duration", options.duration),
          decoder: parseDecoder(options.decoder),
        });
        const shape = signal.channels === 1 ? [signal.y.length] : [signal.channels, signal.y.length / signal.channels];
        await writeNpy(options.out, ndarray(signal.y, shape));
        const seconds = signal.y.length / signal.channels / signal.sr;
        process.stderr.write(`${options.out}: float32 [${shape.join(", ")}] at ${signal.sr} Hz (${seconds.toFixed(3)} s)\n`);
      },
    );
}
