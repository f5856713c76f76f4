import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./helpers.ts";

test("the sources, tests and benchmarks type-check under strict TypeScript", () => {
  const result = spawnSync("node", [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", join(ROOT, "tsconfig.json")], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 300_000,
  });
  expect(result.stdout + result.stderr).toBe("");
  expect(result.status).toBe(0);
}, 300_000);
