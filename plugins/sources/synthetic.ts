/**
 * Synthetic salsa-like clips: deterministic, labelled audio that needs no download, so demos,
 * notebooks and tests run anywhere. Every clip is named as synthetic (source `synthetic`, ids
 * `synthetic/<style>/<NNNN>`, titles ending in "(synthetic)").
 *
 * Styles (the labels), each a two-bar pattern on a sixteenth-note grid (32 steps):
 *   son_clave    son clave 3-2 (steps 0, 6, 12 | 20, 24), bass tumbao, piano montuno, conga
 *                tumbao, cowbell; 165–200 BPM, major keys
 *   rumba_clave  rumba clave 3-2, its third stroke one eighth later (0, 6, 14 | 20, 24), palitos,
 *                tumbadora and an improvising quinto tuned to the key; 95–125 BPM
 *   dance_beat   a linear drum pattern (kick, snare, hi-hat never together), synth bass on the
 *                kicks, minor-chord stabs on the off-beats; 115–130 BPM
 * Tempo, key, instrument timbres (pitch, decay, harmonic mix), timing and velocity jitter, the
 * starting point in the pattern, a little noise and the output level are drawn from a seed derived
 * from (seed, style, clip index); the level is random so that loudness says nothing of the style.
 *
 * `difficulty` (0–1, default 0.3) makes the styles harder to tell apart, all by degrees: the tempo
 * ranges widen towards a shared 90–200 BPM, a son may be in minor and a dance beat in major, each
 * clip borrows other styles' instruments (bass, piano, congas, bell, palitos, quinto, drum kit,
 * stabs — never the clave patterns) with probability difficulty/2 each, the clave plays quieter,
 * hits are dropped (up to 20%) and played off the grid (up to ±25 ms), and white noise is added (up
 * to 8% of the peak). At 0 every model reaches 100% on these clips; at the default the features and
 * architectures differ (a 2-D CNN on log-mel ~90%, the LSTM on the 417-dim stack ~70%, by `clave
 * run`'s 30 clips of 6 s per style). Difficulty 0 renders the clips earlier versions rendered.
 *
 * Determinism: the audio is rendered with +, −, ×, ÷ and a seeded mulberry32 only (sines and
 * exponentials by series and recurrences, no Math.sin/exp/pow, whose last bits differ between
 * JavaScript engines), so the same seed gives the same samples — and WAV bytes — in Bun, Node and Deno.
 */
import { z } from "zod";
import { defineSource, type Signal, type Track } from "../../core/plugin.ts";
import { mulberry32 } from "../../core/random.ts";
import { DatasetError } from "../../core/errors.ts";

export const SYNTHETIC_STYLES = ["son_clave", "rumba_clave", "dance_beat"] as const;
export type SyntheticStyle = (typeof SYNTHETIC_STYLES)[number];

// ------------------------------------------------------------------------------ deterministic math

const PI = 3.141592653589793;
const TWO_PI = 6.283185307179586;
const HALF_PI = 1.5707963267948966;
const LN2 = 0.6931471805599453;

/** sin(x) by range reduction and a Taylor polynomial (error < 1e-9), using + − × ÷ only. */
export function detSin(x: number): number {
  let r = x - Math.round(x / TWO_PI) * TWO_PI;
  if (r > HALF_PI) r = PI - r;
  else if (r < -HALF_PI) r = -PI - r;
  const r2 = r * r;
  return r * (1 - (r2 / 6) * (1 - (r2 / 20) * (1 - (r2 / 42) * (1 - (r2 / 72) * (1 - (r2 / 110) * (1 - r2 / 156))))));
}

/** exp(x) as 2^k · exp(r), |r| ≤ ln2/2, by series; 2^k by exact doublings. */
export function detExp(x: number): number {
  if (x < -700) return 0;
  const k = Math.round(x / LN2);
  const r = x - k * LN2;
  let term = 1;
  let sum = 1;
  for (let n = 1; n <= 14; n++) {
    term = (term * r) / n;
    sum += term;
  }
  const base = k >= 0 ? 2 : 0.5;
  for (let i = Math.abs(k); i > 0; i--) sum *= base;
  return sum;
}

/** Frequency of a MIDI note: 440 · 2^((m − 69)/12). */
function midiHz(m: number): number {
  return 440 * detExp(((m - 69) / 12) * LN2);
}

/** A 32-bit seed from a base seed, a string and an index (FNV-1a, then a murmur3 finaliser). */
function mixSeed(seed: number, text: string, index: number): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (const c of `${text}#${index}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

// ------------------------------------------------------------------------------------------ voices

type Rand = () => number;
const between = (rand: Rand, lo: number, hi: number) => lo + (hi - lo) * rand();

/** Add a decaying sinusoid (recurrence oscillator) into `out` from sample `start`. */
function addPartial(out: Float64Array, sr: number, start: number, hz: number, amp: number, tau: number, attack = 0.002, length = 6 * tau) {
  if (hz >= sr / 2) return;
  const w = (TWO_PI * hz) / sr;
  const cw = detSin(w + HALF_PI);
  const sw = detSin(w);
  const decay = detExp(-1 / (tau * sr));
  const n = Math.min(out.length - start, Math.ceil(length * sr));
  const rise = Math.max(1, Math.round(attack * sr));
  let c = 1;
  let s = 0;
  let env = amp;
  for (let i = 0; i < n; i++) {
    const a = i < rise ? (env * i) / rise : env;
    if (start + i >= 0) out[start + i] += a * s;
    const c2 = c * cw - s * sw;
    s = s * cw + c * sw;
    c = c2;
    env *= decay;
  }
}

/** A pitch-swept sine (drums): frequency glides from `hz0` to `hz1` with time constant `tauPitch`. */
function addSweep(out: Float64Array, sr: number, start: number, hz0: number, hz1: number, tauPitch: number, amp: number, tau: number) {
  const decay = detExp(-1 / (tau * sr));
  const glide = detExp(-1 / (tauPitch * sr));
  const n = Math.min(out.length - start, Math.ceil(6 * tau * sr));
  let phase = 0;
  let env = amp;
  let g = 1;
  for (let i = 0; i < n; i++) {
    const hz = hz1 + (hz0 - hz1) * g;
    if (start + i >= 0) out[start + i] += env * detSin(phase);
    phase += (TWO_PI * hz) / sr;
    env *= decay;
    g *= glide;
  }
}

/** Decaying noise, high-passed by a first difference when `bright`. */
function addNoise(out: Float64Array, sr: number, start: number, amp: number, tau: number, rand: Rand, bright: boolean) {
  const decay = detExp(-1 / (tau * sr));
  const n = Math.min(out.length - start, Math.ceil(6 * tau * sr));
  let env = amp;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const x = 2 * rand() - 1;
    const v = bright ? (x - prev) / 2 : x;
    prev = x;
    if (start + i >= 0) out[start + i] += env * v;
    env *= decay;
  }
}

/** Timbre of one clip's instruments, drawn once per clip. */
interface Kit {
  claveHz: number;
  claveTau: number;
  congaHz: number;
  congaTau: number;
  bassHarmonics: [number, number, number];
  bassTau: number;
  pianoTau: number;
  pianoBright: number;
  bellHz: number;
  kickHz: number;
  snareTone: number;
  hatTau: number;
  stabBright: number;
}

function drawKit(rand: Rand): Kit {
  return {
    claveHz: between(rand, 1800, 2600),
    claveTau: between(rand, 0.012, 0.025),
    congaHz: between(rand, 190, 260),
    congaTau: between(rand, 0.08, 0.16),
    bassHarmonics: [1, between(rand, 0.1, 0.6), between(rand, 0.05, 0.35)],
    bassTau: between(rand, 0.25, 0.6),
    pianoTau: between(rand, 0.35, 0.8),
    pianoBright: between(rand, 0.8, 1.6),
    bellHz: between(rand, 520, 700),
    kickHz: between(rand, 42, 58),
    snareTone: between(rand, 170, 230),
    hatTau: between(rand, 0.02, 0.045),
    stabBright: between(rand, 0.6, 1.2),
  };
}

// ------------------------------------------------------------------------------------------ styles

const NOTE_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
const TEMPO: Record<SyntheticStyle, [number, number]> = {
  son_clave: [165, 200],
  rumba_clave: [95, 125],
  dance_beat: [115, 130],
};
/** The tempo range every style's range widens to at difficulty 1. */
const SHARED_TEMPO: [number, number] = [90, 200];
/** The source's default difficulty: models and features differ on it (none is perfect), `clave run` stays well above chance. */
export const DEFAULT_DIFFICULTY = 0.3;
/** Streams of the difficulty's draws, apart from the clip's own (so difficulty 0 renders the clips it always did). */
const HARD_SPEC = 0x68617264;
const HARD_RENDER = 0x72656e64;

/** What a clip is, drawn from its seed before any audio: shown in the manifest. */
export interface ClipSpec {
  style: SyntheticStyle;
  index: number;
  seed: number;
  tempo: number;
  /** Pitch class of the key, 0 = C. */
  key: number;
  mode: "major" | "minor";
  /** 0 (each style its own tempo range, instruments and mode; clean) to 1 (see the module's notes). */
  difficulty: number;
}

export function clipSpec(style: SyntheticStyle, index: number, seed: number, difficulty = 0): ClipSpec {
  const clipSeed = mixSeed(seed, style, index);
  const rand = mulberry32(clipSeed);
  const lo = TEMPO[style][0] + (SHARED_TEMPO[0] - TEMPO[style][0]) * difficulty;
  const hi = TEMPO[style][1] + (SHARED_TEMPO[1] - TEMPO[style][1]) * difficulty;
  const tempo = Math.round(between(rand, lo, hi));
  const key = Math.floor(rand() * 12);
  let mode: ClipSpec["mode"] = style === "son_clave" ? "major" : style === "dance_beat" ? "minor" : rand() < 0.5 ? "major" : "minor";
  // The harder, the likelier a son in minor or a dance beat in major.
  if (difficulty > 0 && mulberry32((clipSeed ^ HARD_SPEC) >>> 0)() < 0.4 * difficulty) mode = mode === "major" ? "minor" : "major";
  return { style, index, seed: clipSeed, tempo, key, mode, difficulty };
}

interface Hit {
  step: number;
  play: (start: number) => void;
}

/** Instrument layers each style is made of, in the order they are laid out. */
const LAYERS = {
  son_clave: ["clave", "bass", "piano", "congas", "bell"],
  rumba_clave: ["clave", "palitos", "tumbadoras", "quinto"],
  dance_beat: ["drums", "stabs"],
} as const satisfies Record<SyntheticStyle, readonly string[]>;
type LayerName = (typeof LAYERS)[SyntheticStyle][number];
/** Layers another style may borrow at difficulty > 0: everything but the clave patterns. */
const BORROWABLE: readonly { style: SyntheticStyle; layer: LayerName }[] = [
  { style: "son_clave", layer: "bass" },
  { style: "son_clave", layer: "piano" },
  { style: "son_clave", layer: "congas" },
  { style: "son_clave", layer: "bell" },
  { style: "rumba_clave", layer: "palitos" },
  { style: "rumba_clave", layer: "quinto" },
  { style: "dance_beat", layer: "drums" },
  { style: "dance_beat", layer: "stabs" },
];

/**
 * Render a clip: `seconds` of mono audio at `sr` Hz, peak-normalised to a random level. At
 * difficulty 0 the clip is the style alone with a little hiss; above, by degrees (each clip drawing
 * its own share): instruments of the other styles layered in (the clave patterns stay each style's
 * own), a quieter clave, hits dropped and played off the grid (up to ±25 ms), and more white noise.
 */
export function renderClip(spec: ClipSpec, seconds: number, sr: number, noise: number): Float32Array {
  const difficulty = spec.difficulty ?? 0;
  const rand = mulberry32(spec.seed);
  // The same stream clipSpec drew tempo, key and mode from, continued past those draws.
  for (let i = 0; i < 4; i++) rand();
  const hard = mulberry32((spec.seed ^ HARD_RENDER) >>> 0);
  const kit = drawKit(rand);
  const n = Math.round(seconds * sr);
  const out = new Float64Array(n);
  const stepSeconds = 60 / spec.tempo / 4;
  const root = 36 + spec.key; // bass register, C2..B2
  const third = spec.mode === "major" ? 4 : 3;
  const hits: Hit[] = [];
  const at = (step: number, play: (start: number) => void) => hits.push({ step, play });
  const vel = () => between(rand, 0.75, 1);

  const clave = (amp: number, hz = kit.claveHz) => (s: number) => {
    addPartial(out, sr, s, hz, amp * vel(), kit.claveTau);
    addPartial(out, sr, s, hz * 2.71, amp * 0.25, kit.claveTau * 0.6);
    addNoise(out, sr, s, amp * 0.15, 0.002, rand, true);
  };
  const conga = (amp: number, hz: number, kind: "open" | "slap" | "mute") => (s: number) => {
    const tau = kind === "open" ? kit.congaTau : kind === "slap" ? kit.congaTau * 0.35 : kit.congaTau * 0.25;
    addSweep(out, sr, s, hz * 1.35, hz, 0.008, amp * vel(), tau);
    addPartial(out, sr, s, hz * 2.3, amp * 0.2, tau * 0.5);
    if (kind === "slap") addNoise(out, sr, s, amp * 0.45, 0.012, rand, true);
  };
  const bass = (midi: number, beats: number, amp = 1) => (s: number) => {
    const hz = midiHz(midi);
    kit.bassHarmonics.forEach((h, k) => addPartial(out, sr, s, hz * (k + 1), 0.5 * amp * h * vel(), kit.bassTau / (1 + k), 0.006, beats * 4 * stepSeconds));
  };
  const chord = (midis: number[], amp: number, tau: number, bright: number, partials: number) => (s: number) => {
    for (const m of midis) {
      const hz = midiHz(m) * (1 + (rand() - 0.5) * 0.002);
      for (let k = 1; k <= partials; k++) addPartial(out, sr, s, hz * k, (amp * vel()) / (k * bright + 1 - bright), tau / (1 + 0.5 * (k - 1)));
    }
  };
  const triad = (degree: number, octave: number) => {
    const base = 12 * octave + spec.key + degree;
    return [base, base + third, base + 7];
  };

  // Each layer lays its hits out at amplitude factor `a` (1: the style's own).
  const layers: Record<SyntheticStyle, Partial<Record<LayerName, (a: number) => void>>> = {
    son_clave: {
      clave: (a) => {
        for (const s of [0, 6, 12, 20, 24]) at(s, clave(0.5 * a));
      },
      // Bass tumbao: the "and" of 2 and beat 4, anticipating the next chord.
      bass: (a) => {
        for (const [s, m] of [
          [6, root + 7],
          [12, root],
          [22, root + 7],
          [28, root + 5],
        ] as const) at(s, bass(m, 1.5, a));
      },
      // Piano montuno: I and V chords, syncopated eighths.
      piano: (a) => {
        for (const s of [0, 4, 6, 10, 14]) at(s, chord(triad(0, 5), 0.12 * a, kit.pianoTau, kit.pianoBright, 6));
        for (const s of [16, 18, 22, 26, 30]) at(s, chord(triad(7, 4), 0.12 * a, kit.pianoTau, kit.pianoBright, 6));
      },
      congas: (a) => {
        for (const s of [4, 20]) at(s, conga(0.35 * a, kit.congaHz, "slap"));
        for (const s of [12, 14, 28, 30]) at(s, conga(0.4 * a, kit.congaHz * 0.85, "open"));
        for (const s of [0, 8, 16, 24]) at(s, conga(0.15 * a, kit.congaHz, "mute"));
      },
      bell: (a) => {
        for (let s = 0; s < 32; s += 4) at(s, (t) => (addPartial(out, sr, t, kit.bellHz, 0.12 * a * vel(), 0.12), addPartial(out, sr, t, kit.bellHz * 1.5, 0.08 * a, 0.1)));
      },
    },
    rumba_clave: {
      clave: (a) => {
        for (const s of [0, 6, 14, 20, 24]) at(s, clave(0.55 * a));
      },
      // Palitos: eighths on the shell, accents on the clave's side.
      palitos: (a) => {
        for (let s = 0; s < 32; s += 2) if (rand() < 0.85) at(s, clave((s % 4 === 0 ? 0.18 : 0.1) * a, kit.claveHz * 0.5));
      },
      tumbadoras: (a) => {
        const low = midiHz(48 + spec.key);
        const mid = midiHz(55 + spec.key);
        for (const s of [12, 14, 28, 30]) at(s, conga(0.45 * a, low, "open"));
        for (const s of [8, 24]) at(s, conga(0.35 * a, mid, "slap"));
        for (const s of [2, 10, 18, 26]) at(s, conga(0.3 * a, mid, "open"));
      },
      // Quinto: sparse improvised slaps and tones, high.
      quinto: (a) => {
        const quinto = midiHz(62 + spec.key);
        for (let s = 0; s < 32; s++) if (rand() < 0.18) at(s, conga(0.3 * a, quinto, rand() < 0.5 ? "slap" : "open"));
      },
    },
    dance_beat: {
      // One voice per step at most: a linear pattern.
      drums: (a) => {
        const bars = ["K.H.S.HK.KH.S.H.", "K.H.S.H.K.HKS.HH"];
        [...bars.join("")].forEach((v, s) => {
          if (v === "K") {
            at(s, (t) => addSweep(out, sr, t, kit.kickHz * 3, kit.kickHz, 0.03, 0.8 * a * vel(), 0.16));
            at(s, bass(root + (s >= 16 && s % 8 === 0 ? 12 : 0), 1, a));
          } else if (v === "S") {
            at(s, (t) => (addNoise(out, sr, t, 0.35 * a * vel(), 0.09, rand, true), addSweep(out, sr, t, kit.snareTone * 1.3, kit.snareTone, 0.01, 0.3 * a, 0.07)));
          } else if (v === "H" || (v === "." && rand() < 0.15)) {
            at(s, (t) => addNoise(out, sr, t, (v === "H" ? 0.18 : 0.08) * a * vel(), kit.hatTau, rand, true));
          }
        });
      },
      stabs: (a) => {
        for (const s of [2, 6, 10, 14, 18, 22, 26, 30]) at(s, chord(triad(s < 16 ? 0 : 8, 4), 0.07 * a, 0.12, kit.stabBright, 8));
      },
    },
  };
  // The clave quieter by up to 60%: the pattern is still there, less in front.
  for (const name of LAYERS[spec.style]) layers[spec.style][name as LayerName]!(name === "clave" && difficulty > 0 ? 1 - 0.6 * difficulty * hard() : 1);
  if (difficulty > 0) {
    for (const borrowed of BORROWABLE) {
      if (borrowed.style === spec.style || hard() >= 0.5 * difficulty) continue;
      layers[borrowed.style][borrowed.layer]!(between(hard, 0.5, 1));
    }
  }

  // Lay the two-bar pattern end to end from a random step, with timing jitter.
  const patternSteps = 32;
  const offset = Math.floor(rand() * patternSteps);
  hits.sort((a, b) => a.step - b.step);
  for (let cycle = 0; ; cycle++) {
    const cycleStart = (cycle * patternSteps - offset) * stepSeconds;
    if (cycleStart >= seconds) break;
    for (const hit of hits) {
      let t = cycleStart + hit.step * stepSeconds + (rand() - 0.5) * 0.008;
      if (difficulty > 0) {
        if (hard() < 0.2 * difficulty) continue;
        t += (hard() - 0.5) * 0.05 * difficulty;
      }
      if (t >= seconds || t < -1) continue;
      hit.play(Math.round(t * sr));
    }
  }

  // Random level (peak 0.25–0.9) plus white noise: a little, and more the harder.
  let peak = 0;
  for (let i = 0; i < n; i++) peak = Math.max(peak, Math.abs(out[i]));
  const level = between(rand, 0.25, 0.9) / (peak || 1);
  let hiss = noise * between(rand, 0.5, 1.5);
  if (difficulty > 0) hiss += 0.08 * difficulty * level * peak * between(hard, 0.5, 1.5);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = out[i] * level + hiss * (2 * rand() - 1);
  return y;
}

function parseId(track: Track): { style: SyntheticStyle; index: number } {
  const m = /^synthetic\/([a-z_]+)\/(\d+)$/.exec(track.id);
  if (!m || !(SYNTHETIC_STYLES as readonly string[]).includes(m[1])) {
    throw new DatasetError(track.id, "not a synthetic track id (synthetic/<style>/<NNNN>)");
  }
  return { style: m[1] as SyntheticStyle, index: Number(m[2]) };
}

const source = defineSource({
  name: "synthetic",
  description: "Synthetic salsa-like clips (son clave, rumba clave, linear dance beat), rendered from a seed.",
  params: z.object({
    per_class: z.number().int().positive().default(20).describe("clips per style"),
    seconds: z.number().positive().max(600).default(5).describe("length of each clip in seconds"),
    seed: z.number().int().min(0).default(0).describe("seed: the same seed gives the same audio"),
    sr: z.number().int().positive().default(22050).describe("sampling rate of the rendered audio (Hz)"),
    styles: z.array(z.enum(SYNTHETIC_STYLES)).min(1).default([...SYNTHETIC_STYLES]).describe("styles (labels) to render"),
    noise: z.number().min(0).max(1).default(0.004).describe("amplitude of the added white noise"),
    difficulty: z
      .number()
      .min(0)
      .max(1)
      .default(DEFAULT_DIFFICULTY)
      .describe("0: each style its own tempo, instruments and mode, clean; up to 1: overlapping tempi, shared instruments, jitter, noise"),
  }),
  list(p) {
    const tracks: Track[] = [];
    for (const style of p.styles) {
      for (let i = 0; i < p.per_class; i++) {
        const spec = clipSpec(style, i, p.seed, p.difficulty);
        const key = `${NOTE_NAMES[spec.key]} ${spec.mode}`;
        tracks.push({
          id: `synthetic/${style}/${String(i).padStart(4, "0")}`,
          label: style,
          title: `${style.replace("_", " ")} ${String(i).padStart(4, "0")}, ${spec.tempo} BPM, ${key} (synthetic)`,
          duration_s: p.seconds,
          extra: { tempo_bpm: spec.tempo, key, clip_seed: spec.seed, difficulty: p.difficulty },
        });
      }
    }
    return Promise.resolve(tracks);
  },
  open(track, p, { sr }): Promise<Signal> {
    const { style, index } = parseId(track);
    return Promise.resolve({ y: renderClip(clipSpec(style, index, p.seed, p.difficulty), p.seconds, sr, p.noise), sr });
  },
});

export default source;
