// Run by the runtime checks (Deno from the TypeScript sources, Node from an esbuild CommonJS bundle of
// this file): builds three charts, renders each to SVG and PNG, prints one JSON line describing them.
// No top-level await, so the same file bundles to CommonJS, the form tslab notebooks load.
import { confusionChart, specshowChart, waveformChart } from "../../core/charts/index.ts";

async function main(): Promise<void> {
  const tone = Float32Array.from({ length: 22050 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 22050) * (i / 22050));
  const ramp = Float32Array.from({ length: 12 * 40 }, (_, i) => Math.floor(i / 40) + (i % 40) / 40);
  const charts = [
    confusionChart([[9, 1], [2, 8]], ["son", "salsa"]),
    specshowChart({ data: ramp, shape: [12, 40] }, { yAxis: "chroma", title: "ramp" }),
    waveformChart({ y: tone, sr: 22050 }, { title: "tone" }),
  ];
  const out = [];
  for (const chart of charts) {
    const svg = await chart.toSVG();
    const png = await chart.toPNG({ scale: 1 });
    out.push({ kind: chart.kind, svg: svg.slice(0, 4), svgLength: svg.length, texts: ["salsa", "C#", "tone"].filter((t) => svg.includes(`>${t}<`)), png: Array.from(png.subarray(0, 8)), pngLength: png.length });
  }
  console.log(JSON.stringify(out));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
