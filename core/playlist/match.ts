/**
 * Which search result is the track: a score in [0, 1] per candidate from how well its duration
 * matches the listed one and how close its title (and uploader) is to the track's artist and title
 * (fuzzball's token_set_ratio on accent-free lower-case words), lowered for each version the track is
 * not (live, cover, karaoke, remix, slowed, sped up...) unless the track's own title says it is one.
 */
import { token_set_ratio } from "fuzzball";

/** What is searched for. `duration_s` is null when the listing gives none (plain track lists). */
export interface WantedTrack {
  readonly artist: string;
  readonly title: string;
  readonly duration_s: number | null;
}

/** A search result as yt-dlp lists it. */
export interface FoundCandidate {
  /** The page or media URL yt-dlp downloads it from (http or https). */
  readonly url: string;
  readonly title: string;
  /** Channel or uploader, empty when unknown. */
  readonly uploader: string;
  readonly duration_s: number | null;
  /** `listed`: yt-dlp gave the duration; `probed`: ffprobe measured the media URL; `unknown`. */
  readonly duration_from: "listed" | "probed" | "unknown";
}

/** A candidate with its scores (each in [0, 1]; `duration` null when either duration is unknown). */
export interface ScoredCandidate extends FoundCandidate {
  readonly text: number;
  readonly duration: number | null;
  /** The versions found in the candidate's title and not in the track's, each costing `VARIANT_PENALTY`. */
  readonly variants: string[];
  readonly score: number;
}

/**
 * Versions that are not the recording a playlist lists. Each is matched as whole words in the
 * normalised title; Spanish and Portuguese "live" too, since subgenre playlists are often Latin.
 */
export const VARIANTS: readonly { readonly name: string; readonly pattern: RegExp }[] = [
  { name: "live", pattern: /\b(live|en vivo|en directo|ao vivo)\b/ },
  { name: "cover", pattern: /\bcover\b/ },
  { name: "karaoke", pattern: /\bkaraoke\b/ },
  { name: "remix", pattern: /\b(remix|rmx)\b/ },
  { name: "slowed", pattern: /\bslowed\b/ },
  { name: "sped up", pattern: /\b(sped up|speed up|nightcore)\b/ },
  { name: "instrumental", pattern: /\binstrumental\b/ },
];

/** Score taken off per version word the candidate has and the track has not. */
export const VARIANT_PENALTY = 0.3;
/**
 * Durations this close match fully: 5% of the listed duration, between 1 and 3 s. The score falls
 * linearly to 0 at a quarter of it apart (at most 30 s, at least 2 s past the full match): half a
 * minute off is another recording for a 3-minute song, and 20 s off is for a 50-second one.
 */
export const DURATION_EXACT_S = 3;
export const DURATION_ZERO_S = 30;
/** Weight of the duration score when both durations are known (the text score has the rest). */
export const DURATION_WEIGHT = 0.5;

/**
 * Lower case, Latin accents, apostrophes and punctuation removed, words separated by one space. Only the marks on
 * Latin letters go: in other scripts (kana's dakuten, Devanagari vowel signs) a mark changes the word.
 */
export function normaliseText(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/(\p{Script=Latin})\p{M}+/gu, "$1")
    .normalize("NFC")
    .toLowerCase()
    // "Let's" and "Lets" are one word: apostrophes join, other punctuation separates.
    .replace(/['\u2019\u02bc`]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/** The version words found in `title`. */
export function variantsOf(title: string): string[] {
  const text = normaliseText(title);
  return VARIANTS.filter((v) => v.pattern.test(text)).map((v) => v.name);
}

/** 1 when the durations match, falling to 0 when they are far apart (see `DURATION_EXACT_S`); null when either is unknown. */
export function durationScore(wanted: number | null, found: number | null): number | null {
  if (wanted === null || found === null || !(wanted > 0) || !(found > 0)) return null;
  const exact = Math.max(1, Math.min(DURATION_EXACT_S, 0.05 * wanted));
  const zero = Math.max(exact + 2, Math.min(DURATION_ZERO_S, 0.25 * wanted));
  const off = Math.abs(wanted - found);
  return Math.max(0, Math.min(1, 1 - (off - exact) / (zero - exact)));
}

/** How close the candidate's title and uploader are to the track's artist and title, in [0, 1]. */
export function textScore(wanted: Pick<WantedTrack, "artist" | "title">, found: Pick<FoundCandidate, "title" | "uploader">): number {
  const a = normaliseText(`${wanted.artist} ${wanted.title}`);
  const b = normaliseText(`${found.title} ${found.uploader}`);
  if (a === "" || b === "") return 0;
  return token_set_ratio(a, b, { full_process: false }) / 100;
}

/**
 * The candidate's score: with both durations known, `DURATION_WEIGHT` of it is the duration score;
 * when only the track's is known, the duration counts as half a match (it can neither confirm nor
 * refute); when the track has none, the text decides alone. Each unwanted version costs `VARIANT_PENALTY`.
 */
export function scoreCandidate(wanted: WantedTrack, found: FoundCandidate): ScoredCandidate {
  const text = textScore(wanted, found);
  const duration = durationScore(wanted.duration_s, found.duration_s);
  const own = new Set(variantsOf(wanted.title));
  const variants = variantsOf(found.title).filter((v) => !own.has(v));
  const base = wanted.duration_s === null ? text : (1 - DURATION_WEIGHT) * text + DURATION_WEIGHT * (duration ?? 0.5);
  const score = Math.max(0, base - VARIANT_PENALTY * variants.length);
  return { ...found, text: round(text), duration: duration === null ? null : round(duration), variants, score: round(score) };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The index of the best candidate when its score reaches `minScore` (the first of equals), else null. */
export function chooseCandidate(candidates: readonly Pick<ScoredCandidate, "score">[], minScore: number): number | null {
  let best: number | null = null;
  candidates.forEach((c, i) => {
    if (best === null || c.score > candidates[best].score) best = i;
  });
  return best !== null && candidates[best].score >= minScore ? best : null;
}
