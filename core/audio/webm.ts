/**
 * WebM/Matroska demuxer for the first audio track: codec, its private data, and its frames in order
 * (with the DiscardPadding of the block that ends the stream). Enough for yt-dlp's WebM/Opus without
 * the detour through a generic parser, which is what makes npm decoders slow on WebM.
 */

const ID = {
  EBML: 0x1a45dfa3,
  Segment: 0x18538067,
  Cluster: 0x1f43b675,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackType: 0x83,
  CodecID: 0x86,
  CodecPrivate: 0x63a2,
  CodecDelay: 0x56aa,
  Audio: 0xe1,
  SamplingFrequency: 0xb5,
  Channels: 0x9f,
  SimpleBlock: 0xa3,
  BlockGroup: 0xa0,
  Block: 0xa1,
  DiscardPadding: 0x75a2,
} as const;

/** Masters whose children are read in line (their size is not skipped). */
const DESCEND = new Set<number>([ID.Segment, ID.Cluster, ID.Tracks, ID.TrackEntry, ID.Audio, ID.BlockGroup]);

export interface WebmTrack {
  number: number;
  type: number;
  codecId: string;
  codecPrivate?: Uint8Array;
  /** Codec delay in nanoseconds (Opus: the pre-skip). */
  codecDelay: number;
  sampleRate: number;
  channels: number;
}

export interface WebmAudio {
  readonly track: WebmTrack;
  readonly frames: Uint8Array[];
  /** Nanoseconds to drop from the end of the last frame (0 if the file does not say). */
  readonly discardPadding: number;
  readonly truncated: boolean;
}

/** A variable-length integer at `pos`: its value (marker bit removed unless `keepMarker`) and length. */
function readVint(bytes: Uint8Array, pos: number, keepMarker: boolean): { value: number; length: number } | null {
  if (pos >= bytes.length) return null;
  const first = bytes[pos];
  let length = 1;
  while (length <= 8 && !(first & (0x80 >> (length - 1)))) length++;
  if (length > 8 || pos + length > bytes.length) return null;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    value = value * 256 + bytes[pos + i];
    if (bytes[pos + i] !== 0xff) allOnes = false;
  }
  return { value: !keepMarker && allOnes ? -1 : value, length };
}

function readUint(bytes: Uint8Array, at: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + bytes[at + i];
  return v;
}

function readInt(bytes: Uint8Array, at: number, size: number): number {
  const u = readUint(bytes, at, size);
  return size > 0 && bytes[at] & 0x80 ? u - 2 ** (8 * size) : u;
}

function readFloat(bytes: Uint8Array, at: number, size: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, size);
  return size === 4 ? view.getFloat32(0) : size === 8 ? view.getFloat64(0) : NaN;
}

/** The frames of one (Simple)Block, laced or not. */
function blockFrames(bytes: Uint8Array, start: number, end: number): { track: number; frames: Uint8Array[] } | null {
  const track = readVint(bytes, start, false);
  if (!track) return null;
  let p = start + track.length + 2; // timecode (int16)
  if (p >= end) return null;
  const flags = bytes[p++];
  const lacing = (flags >> 1) & 3;
  if (lacing === 0) return { track: track.value, frames: [bytes.subarray(p, end)] };
  const count = bytes[p++] + 1;
  const sizes: number[] = [];
  if (lacing === 1) {
    // Xiph lacing
    for (let i = 0; i < count - 1; i++) {
      let size = 0;
      let b: number;
      do {
        if (p >= end) return null;
        b = bytes[p++];
        size += b;
      } while (b === 255);
      sizes.push(size);
    }
  } else if (lacing === 3) {
    // EBML lacing: first size, then signed differences
    const first = readVint(bytes, p, false);
    if (!first) return null;
    p += first.length;
    sizes.push(first.value);
    for (let i = 1; i < count - 1; i++) {
      const diff = readVint(bytes, p, false);
      if (!diff) return null;
      p += diff.length;
      const bias = 2 ** (7 * diff.length - 1) - 1;
      sizes.push(sizes[i - 1] + diff.value - bias);
    }
  } else {
    const each = Math.floor((end - p) / count);
    for (let i = 0; i < count - 1; i++) sizes.push(each);
  }
  const used = sizes.reduce((a, b) => a + b, 0);
  if (used > end - p || sizes.some((s) => s < 0)) return null;
  sizes.push(end - p - used);
  const frames: Uint8Array[] = [];
  for (const size of sizes) {
    frames.push(bytes.subarray(p, p + size));
    p += size;
  }
  return { track: track.value, frames };
}

/** Demux the first audio track of a WebM/Matroska file; null when there is none. */
export function demuxWebm(bytes: Uint8Array): WebmAudio | null {
  const tracks: WebmTrack[] = [];
  let current: WebmTrack | undefined;
  const blocks: { track: number; frames: Uint8Array[]; discard: number }[] = [];
  let truncated = false;
  let pos = 0;
  while (pos < bytes.length) {
    const id = readVint(bytes, pos, true);
    if (!id) {
      truncated = true;
      break;
    }
    const size = readVint(bytes, pos + id.length, false);
    if (!size) {
      truncated = true;
      break;
    }
    const body = pos + id.length + size.length;
    const known = size.value >= 0;
    if (DESCEND.has(id.value)) {
      if (id.value === ID.TrackEntry) {
        current = { number: 0, type: 0, codecId: "", codecDelay: 0, sampleRate: 8000, channels: 1 };
        tracks.push(current);
      }
      pos = body;
      continue;
    }
    if (!known) {
      // An unknown-size element we do not read into: nothing after it can be found.
      truncated = true;
      break;
    }
    const end = body + size.value;
    if (end > bytes.length) {
      truncated = true;
      break;
    }
    switch (id.value) {
      case ID.TrackNumber:
        if (current) current.number = readUint(bytes, body, size.value);
        break;
      case ID.TrackType:
        if (current) current.type = readUint(bytes, body, size.value);
        break;
      case ID.CodecID:
        if (current) current.codecId = new TextDecoder().decode(bytes.subarray(body, end)).replace(/\0+$/, "");
        break;
      case ID.CodecPrivate:
        if (current) current.codecPrivate = bytes.subarray(body, end);
        break;
      case ID.CodecDelay:
        if (current) current.codecDelay = readUint(bytes, body, size.value);
        break;
      case ID.SamplingFrequency:
        if (current) current.sampleRate = readFloat(bytes, body, size.value);
        break;
      case ID.Channels:
        if (current) current.channels = readUint(bytes, body, size.value);
        break;
      case ID.SimpleBlock:
      case ID.Block: {
        const block = blockFrames(bytes, body, end);
        if (block) blocks.push({ ...block, discard: 0 });
        break;
      }
      case ID.DiscardPadding:
        if (blocks.length > 0) blocks[blocks.length - 1].discard = readInt(bytes, body, size.value);
        break;
      default:
        break;
    }
    pos = end;
  }
  const track = tracks.find((t) => t.type === 2);
  if (!track) return null;
  const mine = blocks.filter((b) => b.track === track.number);
  return {
    track,
    frames: mine.flatMap((b) => b.frames),
    discardPadding: mine.length > 0 ? Math.max(0, mine[mine.length - 1].discard) : 0,
    truncated,
  };
}

/** The codec of the first audio track (`A_OPUS`, `A_VORBIS`, ...), from a file's first bytes. */
export function webmAudioCodec(head: Uint8Array): string | undefined {
  return demuxWebm(head)?.track.codecId;
}
