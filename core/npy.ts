/**
 * NumPy `.npy` files (format 1.0–3.0), the interchange format of features and signals: whatever clave
 * writes, `numpy.load` reads, and clave reads what librosa's users saved.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { NpyError } from "./errors.ts";
import { dtypeOf, ndarray, sizeOf, type DType, type NdArray, type TypedArray } from "./ndarray.ts";
import { writeFileAtomic } from "./fsutil.ts";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR: Record<DType, string> = {
  float32: "<f4",
  float64: "<f8",
  int32: "<i4",
  uint8: "|u1",
  int64: "<i8",
};

/** The bytes of a `.npy` file (format 1.0) holding `array`. */
export function encodeNpy(array: NdArray): Uint8Array {
  const dtype = dtypeOf(array.data);
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(", ")})`;
  let header = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Magic (6) + version (2) + header length (2) + header + "\n", padded to a multiple of 64.
  const unpadded = 10 + header.length + 1;
  header += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const body = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  const out = new Uint8Array(10 + header.length + body.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(body, 10 + header.length);
  return out;
}

/** Parse the bytes of a `.npy` file. `path` only names the file in errors. */
export function decodeNpy(bytes: Uint8Array, path = "<npy>"): NdArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new NpyError(path, "not a NumPy .npy file (bad magic)");
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [headerLen, headerStart] = major === 1 ? [view.getUint16(8, true), 10] : [view.getUint32(8, true), 12];
  if (headerStart + headerLen > bytes.length) throw new NpyError(path, "truncated header");
  const header = new TextDecoder("latin1").decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new NpyError(path, `unreadable header ${header.trim()}`);
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const dtype = (Object.keys(DESCR) as DType[]).find((d) => DESCR[d] === descr || DESCR[d].slice(1) === descr.slice(1));
  if (!dtype || descr.startsWith(">")) throw new NpyError(path, `unsupported dtype ${descr}`);
  const offset = headerStart + headerLen;
  const n = sizeOf(shape);
  const width = { float32: 4, float64: 8, int32: 4, uint8: 1, int64: 8 }[dtype];
  if (bytes.length - offset < n * width) throw new NpyError(path, `truncated data: ${n} ${dtype} values expected`);
  // Copy so the array is aligned whatever the header length (and not a view of Node's Buffer pool).
  const copy = new Uint8Array(n * width);
  copy.set(bytes.subarray(offset, offset + n * width));
  const raw = copy.buffer;
  const data: TypedArray =
    dtype === "float32"
      ? new Float32Array(raw)
      : dtype === "float64"
        ? new Float64Array(raw)
        : dtype === "int32"
          ? new Int32Array(raw)
          : dtype === "uint8"
            ? new Uint8Array(raw)
            : new BigInt64Array(raw);
  return ndarray(fortran === "True" ? fortranToC(data, shape) : data, shape);
}

/** Reorder the data of a Fortran-ordered (column-major) array to C order. */
function fortranToC<T extends TypedArray>(data: T, shape: readonly number[]): T {
  if (shape.length < 2) return data;
  const out = new (data.constructor as { new (n: number): T })(data.length);
  const nd = shape.length;
  // Strides of the Fortran layout, walked in C order with an index odometer.
  const fStride = new Array<number>(nd);
  for (let d = 0, s = 1; d < nd; d++) {
    fStride[d] = s;
    s *= shape[d];
  }
  const index = new Array<number>(nd).fill(0);
  let src = 0;
  for (let i = 0; i < data.length; i++) {
    out[i] = data[src];
    for (let d = nd - 1; d >= 0; d--) {
      index[d]++;
      src += fStride[d];
      if (index[d] < shape[d]) break;
      src -= index[d] * fStride[d];
      index[d] = 0;
    }
  }
  return out;
}

export async function readNpy(path: string): Promise<NdArray> {
  return decodeNpy(await readFile(path), path);
}

export function readNpySync(path: string): NdArray {
  return decodeNpy(readFileSync(path), path);
}

/** Write `array` to `path` as `.npy`, atomically. */
export async function writeNpy(path: string, array: NdArray): Promise<void> {
  await writeFileAtomic(path, encodeNpy(array));
}

/** A float64 copy of any numeric array's data (int64 converted through Number). */
export function toFloat64(array: NdArray): Float64Array {
  const { data } = array;
  if (data instanceof BigInt64Array) return Float64Array.from(data, (v) => Number(v));
  return Float64Array.from(data as ArrayLike<number>);
}
