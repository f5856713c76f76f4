/**
 * Ogg demuxer: pages → the packets of the first logical stream, and the last granule position (which,
 * for Opus, is where the stream ends: 48 kHz samples counted from before the pre-skip).
 */

export interface OggStream {
  readonly packets: Uint8Array[];
  /** Granule position of the last page of the stream that has one (−1 if none). */
  readonly lastGranule: number;
  /** True when the bytes end inside a page (a truncated file). */
  readonly truncated: boolean;
}

/** Split an Ogg file into the packets of its first logical bitstream. */
export function demuxOgg(bytes: Uint8Array): OggStream {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const packets: Uint8Array[] = [];
  let pending: Uint8Array[] = [];
  let serial: number | undefined;
  let lastGranule = -1;
  let truncated = false;
  let pos = 0;
  while (pos + 27 <= bytes.length) {
    if (bytes[pos] !== 0x4f || bytes[pos + 1] !== 0x67 || bytes[pos + 2] !== 0x67 || bytes[pos + 3] !== 0x53) {
      // Lost sync (damaged data): look for the next capture pattern.
      pos++;
      continue;
    }
    const segments = bytes[pos + 26];
    const tableEnd = pos + 27 + segments;
    if (tableEnd > bytes.length) {
      truncated = true;
      break;
    }
    let bodyLength = 0;
    for (let i = 0; i < segments; i++) bodyLength += bytes[pos + 27 + i];
    if (tableEnd + bodyLength > bytes.length) {
      truncated = true;
      break;
    }
    const pageSerial = view.getUint32(pos + 14, true);
    serial ??= pageSerial;
    if (pageSerial === serial) {
      const granuleLo = view.getUint32(pos + 6, true);
      const granuleHi = view.getInt32(pos + 10, true);
      if (!(granuleLo === 0xffffffff && granuleHi === -1)) lastGranule = granuleHi * 4294967296 + granuleLo;
      let at = tableEnd;
      for (let i = 0; i < segments; i++) {
        const lace = bytes[pos + 27 + i];
        pending.push(bytes.subarray(at, at + lace));
        at += lace;
        if (lace < 255) {
          packets.push(concat(pending));
          pending = [];
        }
      }
    }
    pos = tableEnd + bodyLength;
  }
  if (pos < bytes.length && !truncated) truncated = true;
  return { packets, lastGranule, truncated };
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
