/**
 * The array every feature returns and every model consumes: a flat typed array in C (row-major)
 * order and its shape, the same layout a NumPy `.npy` file holds.
 */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array | BigInt64Array;

export type DType = "float32" | "float64" | "int32" | "uint8" | "int64";

export interface NdArray<T extends TypedArray = TypedArray> {
  readonly data: T;
  readonly shape: readonly number[];
}

/** Number of elements a shape holds. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The dtype of a typed array, named as NumPy names it. */
export function dtypeOf(data: TypedArray): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Uint8Array) return "uint8";
  return "int64";
}

/** An NdArray, checked: the data length must equal the product of the shape. */
export function ndarray<T extends TypedArray>(data: T, shape: readonly number[]): NdArray<T> {
  const n = sizeOf(shape);
  if (data.length !== n) {
    throw new RangeError(`ndarray: data has ${data.length} elements but shape [${shape.join(", ")}] needs ${n}`);
  }
  return { data, shape: [...shape] };
}
