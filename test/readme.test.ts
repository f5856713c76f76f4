/** The README's plugin example is real code: it is cut out of the README, loaded and run here. */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Registry, type FeaturePlugin } from "../index.ts";
import { ROOT, runClave, tempDir } from "./helpers.ts";

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const example = /```ts\n(\/\/ crest\.ts[\s\S]*?)```/.exec(readme)?.[1];

describe("README", () => {
  test("has the two commands: install + main job, and the tests", () => {
    expect(readme).toContain("npm install && npx clave run");
    expect(readme).toContain("npm test");
  });

  test("lists exactly the Debian packages .ci/run installs for the tests", () => {
    const ci = readFileSync(join(ROOT, ".ci", "apt-packages"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    const shown = /apt-get install -y ([^\n`]+)/.exec(readme)?.[1].trim().split(/\s+/);
    expect(shown).toEqual(ci);
  });

  test("its feature plugin example loads, validates and extracts the shape it declares", async () => {
    expect(example).toBeDefined();
    const dir = tempDir();
    const file = join(dir, "crest.ts");
    // The example imports "clave"; outside the repository that is the installed package, here the sources.
    writeFileSync(file, example!.replace('from "clave"', `from ${JSON.stringify(join(ROOT, "index.ts"))}`));
    const listed = runClave(["--plugin", file, "plugins", "--kind", "feature", "--json"]);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((p) => p.name)).toContain("crest");

    const crest = new Registry().add((await import(pathToFileURL(file).href)).default, file) as FeaturePlugin;
    const sr = 22050;
    const y = new Float32Array(sr).map((_, i) => Math.sin((2 * Math.PI * 440 * i) / sr));
    const params = { frame_length: 2048, hop_length: 512 };
    const out = await crest.extract({ y, sr }, params, { memo: (_k, f) => f() });
    expect(out.shape).toEqual(crest.shape(params, y.length, sr));
    // A sine's crest factor is sqrt(2): 3.01 dB.
    expect(out.data[3]).toBeCloseTo(3.01, 1);
  });
});
