// Run by the synthetic test under Deno (from the TypeScript sources): prints, as one JSON line, the
// sha256 of the WAV bytes of clip 2 (seed 5, 1.5 s) of each style, at difficulty 0 and at the
// source's default, so the test can compare runtimes.
import { clipSpec, DEFAULT_DIFFICULTY, renderClip, SYNTHETIC_STYLES } from "../../plugins/sources/synthetic.ts";
import { encodeWav16 } from "../../core/dataset/wav.ts";
import { hashBytes } from "../../core/dataset/hash.ts";

const hashes = (difficulty: number) =>
  SYNTHETIC_STYLES.map((s) => hashBytes(encodeWav16(renderClip(clipSpec(s, 2, 5, difficulty), 1.5, 22050, 0.004), 22050)));
console.log(JSON.stringify([...hashes(0), ...hashes(DEFAULT_DIFFICULTY)]));
