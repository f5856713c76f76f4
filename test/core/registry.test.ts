import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  ParamError,
  PluginError,
  Registry,
  builtinPlugins,
  createRegistry,
  defineFeature,
  ndarray,
  parseParamAssignments,
  resolveParams,
  z,
} from "../../index.ts";
import { tempDir } from "../helpers.ts";

const goodFeature = defineFeature({
  name: "peak",
  description: "Largest absolute sample.",
  params: z.object({ scale: z.number().positive().default(1).describe("multiplier") }),
  shape: () => [1],
  extract: ({ y }, p) => ndarray(Float32Array.of(p.scale * Math.max(...y.map(Math.abs))), [1]),
});

describe("registry", () => {
  test("holds one built-in plugin of each kind, each with described params", () => {
    const registry = new Registry(builtinPlugins.map((plugin) => ({ plugin, origin: "builtin" })));
    expect(registry.names("source")).toContain("folder");
    expect(registry.names("feature")).toContain("rms");
    expect(registry.names("model")).toContain("mlp");
    const rms = registry.describe("feature").find((p) => p.name === "rms")!;
    expect(rms.params.map((p) => [p.name, p.default])).toEqual([
      ["frame_length", 2048],
      ["hop_length", 512],
      ["center", true],
      ["pad_mode", "constant"],
    ]);
    const folder = registry.describe("source").find((p) => p.name === "folder")!;
    expect(folder.params.find((p) => p.name === "path")?.required).toBe(true);
  });

  test("refuses a duplicate name, naming both origins", () => {
    const registry = new Registry([{ plugin: goodFeature, origin: "/a/peak.ts" }]);
    expect(() => registry.add({ ...goodFeature }, "/b/peak2.ts")).toThrow(
      'plugin "peak" (/b/peak2.ts): name: duplicate feature name, already defined by /a/peak.ts',
    );
    // The same name in another kind is a different plugin.
    expect(registry.names("feature")).toEqual(["peak"]);
  });

  test("refuses a missing hook, naming the plugin, file and hook", () => {
    const { extract: _omit, ...noExtract } = goodFeature;
    expect(() => new Registry().add(noExtract, "/x/broken.ts")).toThrow(
      'plugin "peak" (/x/broken.ts): extract: missing hook: a feature plugin must define extract()',
    );
  });

  test("refuses bad kinds, names, descriptions and params", () => {
    const registry = new Registry();
    const cases: [unknown, string][] = [
      [{ ...goodFeature, kind: "filter" }, "kind: must be one of source, feature, model"],
      [{ ...goodFeature, name: "Bad Name" }, "name: must be lower-case"],
      [{ ...goodFeature, description: "" }, "description: missing"],
      [{ ...goodFeature, params: { n_fft: 2048 } }, "params: must be a zod object schema"],
      [{ ...goodFeature, params: z.object({ n: z.number().int().default(1.5 as number) }) }, "params.n: invalid default"],
      ["not an object", "a plugin must be an object"],
    ];
    for (const [plugin, message] of cases) {
      let caught: unknown;
      try {
        registry.add(plugin, "/p.ts");
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(PluginError);
      expect((caught as Error).message).toContain(message);
      expect((caught as Error).message).toContain("/p.ts");
    }
  });

  test("resolves params with defaults and refuses unknown or invalid ones", () => {
    expect(resolveParams(goodFeature, {})).toEqual({ scale: 1 });
    expect(resolveParams(goodFeature, { scale: 3 })).toEqual({ scale: 3 });
    expect(() => resolveParams(goodFeature, { scale: -1 })).toThrow(ParamError);
    expect(() => resolveParams(goodFeature, { scale: -1 })).toThrow('peak: parameter "scale"');
    expect(() => resolveParams(goodFeature, { scael: 2 })).toThrow('peak: parameter "scael": unknown parameter (known: scale)');
  });

  test("parses --param assignments", () => {
    expect(parseParamAssignments(["mfcc.n_mfcc=20", "mfcc.htk=true", "folder.path=/a/b", "stack.features=mfcc,chroma_stft"])).toEqual({
      mfcc: { n_mfcc: 20, htk: true },
      folder: { path: "/a/b" },
      // A comma list stays text here: resolveParams splits it for list params only (a string param may hold commas).
      stack: { features: "mfcc,chroma_stft" },
    });
    expect(() => parseParamAssignments(["novalue"])).toThrow("expected plugin.key=value");
  });
});

describe("external plugins", () => {
  const dir = tempDir();
  writeFileSync(
    join(dir, "peak.ts"),
    `import { defineFeature, ndarray, z } from ${JSON.stringify(join(import.meta.dir, "../../index.ts"))};
export default defineFeature({
  name: "peak", description: "Largest absolute sample.",
  params: z.object({ scale: z.number().default(1) }),
  shape: () => [1],
  extract: ({ y }, p) => ndarray(Float32Array.of(p.scale * y.reduce((m, v) => Math.max(m, Math.abs(v)), 0)), [1]),
});`,
  );

  test("a config file's plugins are registered beside the built-ins", async () => {
    writeFileSync(join(dir, "clave.config.json"), JSON.stringify({ plugins: ["./peak.ts"] }));
    const registry = await createRegistry({ cwd: dir });
    const entry = registry.list("feature").find((e) => e.plugin.name === "peak")!;
    expect(entry.origin).toBe(join(dir, "peak.ts"));
    const out = await registry.feature("peak").extract({ y: Float32Array.of(0.1, -0.5, 0.25), sr: 22050 }, { scale: 2 }, { memo: (_k, f) => f() });
    expect(out.data[0]).toBeCloseTo(1.0, 6);
  });

  test("an invalid config file is refused with its path", async () => {
    const bad = tempDir();
    writeFileSync(join(bad, "clave.config.json"), "{ plugins: ");
    expect(createRegistry({ cwd: bad })).rejects.toThrow(`${join(bad, "clave.config.json")}: invalid JSON`);
    const missing = tempDir();
    writeFileSync(join(missing, "clave.config.json"), JSON.stringify({ plugins: ["./nope.ts"] }));
    expect(createRegistry({ cwd: missing })).rejects.toThrow(`${join(missing, "nope.ts")}: plugin file not found`);
  });
});
