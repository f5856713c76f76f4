/**
 * A collection on disk laid out as `<root>/<label>/<audio files>`: the label of a track is the name of
 * the first folder under the root (deeper folders are searched too). Files directly in the root have
 * no label folder and are listed with the label `unlabelled`.
 *
 * Artist and title come from the file name when it matches `name_pattern` (by default
 * `Artist - Title.ext`), so that splits can keep each artist's tracks on one side.
 *
 * Symbolic links to files are followed. An entry with an audio extension that is not a regular file
 * (a FIFO, a device, a broken link) is reported and left out, never opened.
 */
import { readdir } from "node:fs/promises";
import { basename, extname, join, relative, resolve, sep } from "node:path";
import { z } from "zod";
import { defineSource, type Track } from "../../core/plugin.ts";
import { ConfigError, fsReason } from "../../core/errors.ts";
import { fileFault } from "../../core/dataset/files.ts";

export const AUDIO_EXTENSIONS = ["wav", "au", "mp3", "ogg", "oga", "opus", "webm", "flac", "m4a", "aac", "aiff", "aif"];

/** Every entry under `dir` that is not a folder (links to folders are not followed), sorted by name. */
async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else files.push(path);
  }
  return files;
}

const source = defineSource({
  name: "folder",
  description: "Audio files in <root>/<label>/...: one label per folder under the root.",
  params: z.object({
    path: z.string().min(1).describe("root folder of the collection"),
    extensions: z.array(z.string()).default(AUDIO_EXTENSIONS).describe("audio file extensions to list, without the dot"),
    name_pattern: z
      .string()
      .default("^(?<artist>.+?) - (?<title>.+)$")
      .describe("regular expression on the file name without extension; its named groups artist and title fill those columns (empty: none)"),
  }),
  root: (p) => resolve(p.path),
  async list(p, ctx) {
    const root = resolve(p.path);
    let files: string[];
    try {
      files = await walk(root);
    } catch (error) {
      throw new ConfigError(root, `cannot read the folder: ${fsReason(error)}`);
    }
    const wanted = new Set(p.extensions.map((e) => e.toLowerCase().replace(/^\./, "")));
    let pattern: RegExp | undefined;
    try {
      pattern = p.name_pattern ? new RegExp(p.name_pattern) : undefined;
    } catch (error) {
      throw new ConfigError(root, `name_pattern ${JSON.stringify(p.name_pattern)} is not a regular expression: ${(error as Error).message}`);
    }
    const tracks: Track[] = [];
    for (const file of files) {
      const ext = extname(file).slice(1).toLowerCase();
      if (!wanted.has(ext)) continue;
      const fault = await fileFault(file);
      if (fault) {
        ctx.problem({ path: file, reason: `${fault.reason}: left out` });
        continue;
      }
      const rel = relative(root, file).split(sep).join("/");
      const parts = rel.split("/");
      const label = parts.length > 1 ? parts[0] : "unlabelled";
      const named = pattern?.exec(basename(file, extname(file)))?.groups ?? {};
      tracks.push({
        id: rel.slice(0, rel.length - ext.length - 1),
        label,
        path: rel,
        ...(named.artist?.trim() ? { artist: named.artist.trim() } : {}),
        ...(named.title?.trim() ? { title: named.title.trim() } : {}),
      });
    }
    return tracks;
  },
});

export default source;
