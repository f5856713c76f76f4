/**
 * The review report of an assembled dataset: `review.html`, one section per track to review (doubtful
 * matches, tracks with no candidate good enough, failures, ambiguous labels) with an audio player for
 * the downloaded file and every candidate with its scores; and `review.csv`, one row per track and
 * candidate, for a spreadsheet. Every piece of data is escaped; the page runs no script (its content
 * security policy forbids any), links only to http(s) URLs, and CSV cells that a spreadsheet would
 * take for a formula are quoted with a leading apostrophe.
 */
import { join } from "node:path";
import { writeFileAtomic } from "../fsutil.ts";
import { escapeHtml } from "../text.ts";
import { formatCsv, type CsvCell } from "../dataset/csv.ts";
import { AUDIO_DIR, REVIEW_CSV, REVIEW_HTML, TO_REVIEW, type Evidence, type TrackEvidence } from "./evidence.ts";
import { describeCounts } from "./tracks.ts";

export { escapeHtml };

/** `url` when it is http(s), else null: no `javascript:` or `data:` link comes from data. */
export function httpUrl(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

/** Extensions a browser's <audio> plays from a direct link. */
const PLAYABLE = /\.(ogg|oga|opus|mp3|m4a|aac|wav|flac|webm)(\?|$)/i;

function seconds(value: number | null): string {
  if (value === null) return "?";
  const s = Math.round(value);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function trackSection(t: TrackEvidence, manifestHint: string): string {
  const e = escapeHtml;
  const head = `${t.artists.join(", ")} - ${t.title}`;
  const local = t.file ? `<audio controls preload="none" src="${e(`${AUDIO_DIR}/${encodeURIComponent(t.file)}`)}"></audio>` : "<p><em>nothing downloaded</em></p>";
  const rows = t.candidates.map((c, i) => {
    const url = httpUrl(c.url);
    const link = url ? `<a href="${e(url)}" rel="noreferrer noopener">${e(c.title || c.url)}</a>` : e(c.title || c.url);
    const player = url && PLAYABLE.test(new URL(url).pathname) ? `<br><audio controls preload="none" src="${e(url)}"></audio>` : "";
    return (
      `<tr${i === t.chosen ? ' class="chosen"' : ""}><td>${i + 1}</td><td>${link}${player}</td><td>${e(c.uploader)}</td>` +
      `<td>${seconds(c.duration_s)}${c.duration_from === "probed" ? " (probed)" : ""}</td><td>${c.text.toFixed(2)}</td>` +
      `<td>${c.duration === null ? "?" : c.duration.toFixed(2)}</td><td>${e(c.variants.join(", "))}</td><td><b>${c.score.toFixed(2)}</b></td></tr>`
    );
  });
  const table = rows.length
    ? `<table><tr><th>#</th><th>candidate</th><th>uploader</th><th>duration</th><th>text</th><th>duration score</th><th>versions</th><th>score</th></tr>${rows.join("")}</table>`
    : "<p><em>no candidates</em></p>";
  const id = e(t.id);
  const labels = t.label === null ? `ambiguous: ${e(t.labels.join(", "))}` : e(t.label);
  const commands =
    t.state === "ambiguous"
      ? `--assign ${id}=LABEL`
      : `--accept ${id} &nbsp; --reject ${id} &nbsp; --pick ${id}=N &nbsp; --search &quot;${id}=ARTIST - TITLE&quot;`;
  return `<section id="${id}">
<h2>${e(head)}</h2>
<p class="meta">${id} · ${labels} · <span class="state">${e(t.state)}</span>${t.score === null ? "" : ` · score ${t.score.toFixed(2)}`} · listed ${seconds(t.duration_s)} · downloaded ${seconds(t.measured_s)}${t.note ? ` · ${e(t.note)}` : ""}</p>
<p class="meta">query: ${e(t.query)}${t.album ? ` · album: ${e(t.album)}` : ""}</p>
${local}
${table}
<p class="cmd">clave dataset review ${e(manifestHint)} ${commands}</p>
</section>`;
}

/** The HTML report of the tracks to review. `manifestHint` is how the commands name the manifest. */
export function reviewHtml(evidence: Evidence, manifestHint = "manifest.csv"): string {
  const tracks = evidence.tracks.filter((t) => TO_REVIEW.has(t.state));
  const states = new Map<string, number>();
  for (const t of evidence.tracks) states.set(t.state, (states.get(t.state) ?? 0) + 1);
  const summary = [...states].map(([s, n]) => `${n} ${s}`).join(", ");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; media-src * file: data: blob:; style-src 'unsafe-inline'">
<title>clave: tracks to review</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 70em; }
table { border-collapse: collapse; margin: .5em 0; } td, th { border: 1px solid #ccc; padding: .2em .5em; vertical-align: top; }
tr.chosen { background: #eef6ee; } .meta { color: #555; margin: .2em 0; } .state { font-weight: bold; }
.cmd { font-family: monospace; background: #f4f4f4; padding: .4em; } section { border-top: 2px solid #ddd; padding-top: .5em; margin-top: 1.5em; }
</style>
</head>
<body>
<h1>Tracks to review (${tracks.length} of ${evidence.tracks.length})</h1>
<p>${escapeHtml(summary)}</p>
<ul>${describeCounts(evidence.counts).map((line) => `<li>${escapeHtml(line)}</li>`).join("")}</ul>
${tracks.map((t) => trackSection(t, manifestHint)).join("\n")}
</body>
</html>
`;
}

/** A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading apostrophe. */
function sheetSafe(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

export const REVIEW_CSV_COLUMNS = [
  "id", "label", "labels", "state", "artist", "title", "listed_s", "downloaded_s", "score", "note",
  "candidate", "chosen", "candidate_title", "uploader", "candidate_s", "text_score", "duration_score", "versions", "candidate_score", "url",
] as const;

/** The CSV of the tracks to review: a row per candidate (one row for a track without any). */
export function reviewCsv(evidence: Evidence): string {
  const rows: CsvCell[][] = [];
  for (const t of evidence.tracks.filter((t) => TO_REVIEW.has(t.state))) {
    const track: CsvCell[] = [
      t.id, t.label ?? "", t.labels.join(";"), t.state, sheetSafe(t.artists.join(", ")), sheetSafe(t.title),
      t.duration_s, t.measured_s, t.score, sheetSafe(t.note),
    ];
    if (t.candidates.length === 0) rows.push([...track, "", "", "", "", "", "", "", "", "", ""]);
    t.candidates.forEach((c, i) =>
      rows.push([...track, i + 1, i === t.chosen, sheetSafe(c.title), sheetSafe(c.uploader), c.duration_s, c.text, c.duration, c.variants.join(";"), c.score, sheetSafe(c.url)]),
    );
  }
  return formatCsv(REVIEW_CSV_COLUMNS, rows);
}

/** Write `review.html` and `review.csv` under `root`; returns their paths. */
export async function writeReviewReport(root: string, evidence: Evidence, manifestHint?: string): Promise<{ html: string; csv: string }> {
  const html = join(root, REVIEW_HTML);
  const csv = join(root, REVIEW_CSV);
  await writeFileAtomic(html, reviewHtml(evidence, manifestHint));
  await writeFileAtomic(csv, reviewCsv(evidence));
  return { html, csv };
}
