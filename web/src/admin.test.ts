import { describe, expect, it } from "vitest";
import { formatBytes, unitLabel, unitTree } from "@/admin/units";

const u = (id: number, code: string, parent_id: number | null) => ({ id, code, name: code + "名", level: "unit", parent_id });

describe("unitTree", () => {
  it("nests children under their parents, sorted by code", () => {
    const tree = unitTree([u(1, "ZD01", null), u(3, "DD02", 1), u(2, "DD01", 1), u(4, "ZD02", null), u(5, "ZD01-1", 2)]);
    expect(tree.map((n) => n.code)).toEqual(["ZD01", "ZD02"]);
    expect(tree[0].children.map((n) => n.code)).toEqual(["DD01", "DD02"]);
    expect(tree[0].children[0].children.map((n) => n.code)).toEqual(["ZD01-1"]);
  });
  it("keeps a unit whose parent is missing as a root", () => {
    expect(unitTree([u(9, "X", 42)]).map((n) => n.code)).toEqual(["X"]);
  });
});

describe("labels and sizes", () => {
  it("names a unit by code and name", () => {
    expect(unitLabel([u(1, "ZD01", null)], 1)).toBe("ZD01 ZD01名");
    expect(unitLabel([], 7)).toBe("#7");
    expect(unitLabel([], null)).toBe("");
  });
  it("formats bytes", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(3 * 1024 ** 3)).toBe("3.0 GB");
    expect(formatBytes(null)).toBe("");
  });
});
