/** Params from the command line: lists from `k=v`, errors that name the right field, enumerations shown with their values. */
import { describe, expect, test } from "bun:test";
import { ParamError } from "../../core/errors.ts";
import { describeParams, parseParamAssignments, resolveParams } from "../../core/params.ts";
import { builtinPlugins, type ModelPlugin, type SourcePlugin, type TfModel } from "../../index.ts";
import { runClave } from "../helpers.ts";

const mlp = builtinPlugins.find((p) => p.kind === "model" && p.name === "mlp") as ModelPlugin;
const synthetic = builtinPlugins.find((p) => p.kind === "source" && p.name === "synthetic") as SourcePlugin;
const folder = builtinPlugins.find((p) => p.kind === "source" && p.name === "folder") as SourcePlugin;

const fromCli = (plugin: { name: string; params: ModelPlugin["params"] }, ...assignments: string[]) =>
  resolveParams(plugin, parseParamAssignments(assignments, plugin.name)[plugin.name] ?? {}) as Record<string, unknown>;

describe("list params from key=value", () => {
  test("hidden_units=8,4 and hidden_units=[8,4] give [8, 4]; one value gives a list of one", () => {
    expect(fromCli(mlp, "hidden_units=8,4").hidden_units).toEqual([8, 4]);
    expect(fromCli(mlp, "hidden_units=[8,4]").hidden_units).toEqual([8, 4]);
    expect(fromCli(mlp, "hidden_units= 8 , 4 ").hidden_units).toEqual([8, 4]);
    expect(fromCli(mlp, "hidden_units=16").hidden_units).toEqual([16]);
    expect(fromCli(synthetic, "styles=son_clave,dance_beat").styles).toEqual(["son_clave", "dance_beat"]);
    expect(fromCli(folder, "path=x", "extensions=wav").extensions).toEqual(["wav"]);
  });

  test("a string param keeps its commas", () => {
    expect(fromCli(folder, "path=a,b", "name_pattern=^(?<artist>[^,]+), (?<title>.+)$")).toMatchObject({ path: "a,b", name_pattern: "^(?<artist>[^,]+), (?<title>.+)$" });
  });

  test("a bad item names the field and the value given, not 'is required'", () => {
    const error = (() => {
      try {
        fromCli(mlp, "hidden_units=8,zero");
      } catch (e) {
        return e as ParamError;
      }
      throw new Error("accepted");
    })();
    expect(error).toBeInstanceOf(ParamError);
    expect(error.message).toStartWith('mlp: parameter "hidden_units.1": ');
    expect(error.message).not.toContain("is required");
    expect(error.message).toContain('(the value given: [8,"zero"])');
    expect(() => resolveParams(folder, {})).toThrow('folder: parameter "path": is required');
  });
});

describe("enumerations", () => {
  test("are described with their allowed values", () => {
    const params = describeParams(mlp);
    expect(params.find((p) => p.name === "class_weight")).toMatchObject({ type: '"none" | "balanced"', default: "none", values: ["none", "balanced"] });
    expect(describeParams(synthetic).find((p) => p.name === "styles")?.type).toBe('("son_clave" | "rumba_clave" | "dance_beat")[]');
  });

  test("clave plugins shows them", () => {
    const r = runClave(["plugins", "--kind", "model"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('class_weight: "none" | "balanced" = "none"');
    expect(r.stdout).toContain('scheduler: "none" | "plateau" | "step" = "none"');
    expect(r.stdout).toContain("hidden_units: integer[] = [64,32,16]");
  }, 60_000);
});

describe("defaults apply when a plugin's hooks are called directly", () => {
  const ctx = { problem: () => undefined };

  test("a source's list and open with only some params", async () => {
    const tracks = await synthetic.list({ per_class: 1 } as never, ctx);
    expect(Array.isArray(tracks) && tracks.map((t) => t.label)).toEqual(["son_clave", "rumba_clave", "dance_beat"]);
    const signal = await synthetic.open!((tracks as { id: string; label: string }[])[0], { seconds: 0.5 } as never, { sr: 8000 });
    expect(signal.y.length).toBe(4000);
    await expect(Promise.resolve(folder.list({} as never, ctx))).rejects.toThrow('folder: parameter "path": is required');
  });

  test("a model's build with no params builds the default architecture", async () => {
    const model = (await mlp.build({ inputShape: [5], nClasses: 2, seed: 0 }, {} as never)) as TfModel;
    expect(model.network.layers.filter((l) => l.name.startsWith("hidden_")).map((l) => (l.getConfig() as { units: number }).units)).toEqual([64, 32, 16]);
    expect(model.params).toMatchObject({ hidden_units: [64, 32, 16], standardize: true, epochs: 50 });
  }, 60_000);
});
