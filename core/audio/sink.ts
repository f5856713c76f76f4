/**
 * Where decoders put their samples as they come: in blocks, so that a long file is never held twice
 * while it grows, and — when the caller wants mono — averaged on the way in, so that its channels are
 * never held at all. The mean is `toMono`'s: channels summed in order in float32, then divided.
 */

const BLOCK = 1 << 20;

export class SampleSink {
  private readonly blocks: Float32Array[][];
  private current: Float32Array[];
  private fill = 0;
  private total = 0;

  /** `channels`: the source's channel count; `mono`: keep only their mean. */
  constructor(
    readonly channels: number,
    readonly mono: boolean,
  ) {
    const outputs = mono ? 1 : channels;
    this.blocks = Array.from({ length: outputs }, () => []);
    this.current = Array.from({ length: outputs }, () => new Float32Array(BLOCK));
  }

  get length(): number {
    return this.total;
  }

  private room(): number {
    if (this.fill === BLOCK) {
      this.blocks.forEach((list, c) => list.push(this.current[c]));
      this.current = this.current.map(() => new Float32Array(BLOCK));
      this.fill = 0;
    }
    return BLOCK - this.fill;
  }

  /** Frames of interleaved samples (`data[f·channels + c]`). */
  pushInterleaved(data: Float32Array, frames: number): void {
    const k = this.channels;
    let f = 0;
    while (f < frames) {
      const n = Math.min(this.room(), frames - f);
      if (this.mono) {
        const out = this.current[0];
        for (let i = 0; i < n; i++) {
          const base = (f + i) * k;
          let sum = data[base];
          for (let c = 1; c < k; c++) sum = Math.fround(sum + data[base + c]);
          out[this.fill + i] = k === 1 ? sum : sum / k;
        }
      } else {
        for (let c = 0; c < k; c++) {
          const out = this.current[c];
          for (let i = 0; i < n; i++) out[this.fill + i] = data[(f + i) * k + c];
        }
      }
      this.fill += n;
      this.total += n;
      f += n;
    }
  }

  /** Frames of planar samples, one array per channel, from `start`. */
  pushPlanar(channelData: readonly Float32Array[], frames: number, start = 0): void {
    const k = this.channels;
    let f = 0;
    while (f < frames) {
      const n = Math.min(this.room(), frames - f);
      const from = start + f;
      if (this.mono) {
        const out = this.current[0];
        if (k === 1) out.set(channelData[0].subarray(from, from + n), this.fill);
        else {
          for (let i = 0; i < n; i++) {
            let sum = channelData[0][from + i];
            for (let c = 1; c < k; c++) sum = Math.fround(sum + channelData[c][from + i]);
            out[this.fill + i] = sum / k;
          }
        }
      } else {
        for (let c = 0; c < k; c++) this.current[c].set(channelData[c].subarray(from, from + n), this.fill);
      }
      this.fill += n;
      this.total += n;
      f += n;
    }
  }

  /** The samples, one array per output channel, at most `limit` frames. */
  finish(limit = Infinity): Float32Array[] {
    const n = Math.min(this.total, Math.max(0, limit));
    return this.blocks.map((list, c) => {
      const out = new Float32Array(n);
      let at = 0;
      for (const block of [...list, this.current[c].subarray(0, this.fill)]) {
        if (at >= n) break;
        const take = Math.min(block.length, n - at);
        out.set(take === block.length ? block : block.subarray(0, take), at);
        at += take;
      }
      return out;
    });
  }
}
