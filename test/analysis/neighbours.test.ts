/**
 * Class centroids and arithmetic over them, on vectors built with a known geometry: classes placed
 * at the corners of a rectangle (and one far away), with noise, so the nearest classes and the answer
 * of `a - b + c` are known before anything is computed.
 */
import { describe, expect, test } from "bun:test";
import { classCentroids, classNeighbours, distance, evaluateExpression, parseExpression } from "../../core/analysis/neighbours.ts";
import { UsageError } from "../../core/errors.ts";
import { mulberry32 } from "../../core/random.ts";

/**
 * Centres in 5-D: blues (0,0), country (1,0), pop (0,3), rock (1,3), hip-hop far off at (10,10);
 * the other three dimensions are noise. Short sides 1, long sides 3.
 */
const CENTRES: Record<string, number[]> = {
  blues: [0, 0],
  country: [1, 0],
  pop: [0, 3],
  rock: [1, 3],
  "hip-hop": [10, 10],
};
const LABELS = Object.keys(CENTRES).sort();

function vectors(perClass: number, seed: number) {
  const random = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const d = 5;
  const rows: number[] = [];
  const labels: string[] = [];
  for (const [label, [a, b]] of Object.entries(CENTRES)) {
    for (let i = 0; i < perClass; i++) {
      rows.push(a + 0.05 * normal(), b + 0.05 * normal(), 0.05 * normal(), 0.05 * normal(), 0.05 * normal());
      labels.push(label);
    }
  }
  return { matrix: { data: Float64Array.from(rows), shape: [labels.length, d] as [number, number] }, labels };
}

describe("class neighbours", () => {
  const { matrix, labels } = vectors(40, 1);

  test("centroids are the class means, in the labels' order", () => {
    const c = classCentroids(matrix, labels, LABELS);
    expect(c.labels).toEqual(LABELS);
    expect(c.counts).toEqual(LABELS.map(() => 40));
    c.labels.forEach((label, i) => {
      expect(c.centroids[i][0]).toBeCloseTo(CENTRES[label][0], 1);
      expect(c.centroids[i][1]).toBeCloseTo(CENTRES[label][1], 1);
    });
  });

  test("each class's nearest class is across the short side of the rectangle; the far class is last for all", () => {
    const result = classNeighbours(matrix, labels, LABELS);
    const nearest = (label: string) => result.nearest.filter((r) => r.label === label).map((r) => r.neighbour);
    expect(nearest("blues")).toEqual(["country", "pop", "rock", "hip-hop"]);
    expect(nearest("country")).toEqual(["blues", "rock", "pop", "hip-hop"]);
    expect(nearest("pop")).toEqual(["rock", "blues", "country", "hip-hop"]);
    expect(nearest("rock")).toEqual(["pop", "country", "blues", "hip-hop"]);
    const d = (a: string, b: string) => result.distances[result.labels.indexOf(a)][result.labels.indexOf(b)];
    expect(d("blues", "country")).toBeCloseTo(1, 1);
    expect(d("blues", "pop")).toBeCloseTo(3, 1);
    expect(d("blues", "rock")).toBeCloseTo(Math.sqrt(10), 1);
    expect(d("pop", "blues")).toBe(d("blues", "pop"));
  });

  test("arithmetic: blues - country + rock lands on pop (the rectangle's fourth corner)", () => {
    const result = classNeighbours(matrix, labels, LABELS);
    const answer = evaluateExpression(result, parseExpression("blues-country+rock", LABELS));
    expect(answer[0].label).toBe("pop");
    expect(answer[0].distance).toBeLessThan(0.1);
    expect(answer[0].inExpression).toBe(false);
    expect(answer.find((a) => a.label === "country")!.inExpression).toBe(true);
    // Labels with a hyphen are read whole.
    const far = evaluateExpression(result, parseExpression(" hip-hop - rock + pop ", LABELS));
    expect(far[0].label).toBe("hip-hop");
  });

  test("cosine distance: 1 − cos, NaN for a zero vector", () => {
    expect(distance([1, 0], [0, 1], "cosine")).toBeCloseTo(1, 12);
    expect(distance([1, 1], [2, 2], "cosine")).toBeCloseTo(0, 12);
    expect(Number.isNaN(distance([0, 0], [1, 2], "cosine"))).toBe(true);
    expect(distance([0, 0], [3, 4], "euclidean")).toBe(5);
  });

  test("expressions name only known classes, joined by + and -", () => {
    expect(parseExpression("pop", LABELS)).toEqual([{ sign: 1, label: "pop" }]);
    expect(parseExpression("-pop+blues", LABELS)).toEqual([
      { sign: -1, label: "pop" },
      { sign: 1, label: "blues" },
    ]);
    expect(() => parseExpression("pop+jazz", LABELS)).toThrow(UsageError);
    expect(() => parseExpression("pop+jazz", LABELS)).toThrow(/no class at "jazz"/);
    expect(() => parseExpression("pop blues", LABELS)).toThrow(/no class at "pop blues"/);
    expect(() => parseExpression("  ", LABELS)).toThrow(/no class named/);
  });

  test("a row whose label is not among the labels is refused", () => {
    expect(() => classCentroids({ data: Float64Array.of(1, 2), shape: [1, 2] }, ["jazz"], LABELS)).toThrow(/jazz/);
  });
});
