/** Small pure helpers the administration tabs share: the unit tree from the flat unit list,
 * a unit's label by id, byte sizes for people, and a form body for a file upload. */

export interface UnitLike { id: number; code: string; name: string; level: string; parent_id: number | null }
export interface UnitNode extends UnitLike { children: UnitNode[] }

/** Units as a tree (roots first, children by code); a unit whose parent is unknown becomes a root. */
export function unitTree<T extends UnitLike>(units: T[]): (T & { children: UnitNode[] })[] {
  const nodes = new Map<number, T & { children: UnitNode[] }>();
  for (const u of units) nodes.set(u.id, { ...u, children: [] });
  const roots: (T & { children: UnitNode[] })[] = [];
  for (const node of nodes.values()) {
    const parent = node.parent_id !== null ? nodes.get(node.parent_id) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  const byCode = (a: UnitLike, b: UnitLike) => a.code.localeCompare(b.code);
  const sort = (list: UnitNode[]) => { list.sort(byCode); list.forEach((n) => sort(n.children)); };
  roots.sort(byCode);
  roots.forEach((n) => sort(n.children));
  return roots;
}

/** "DD01 一大队", or "" for no unit, or "#7" for a unit not in the list. */
export function unitLabel(units: UnitLike[], id: number | null | undefined): string {
  if (id === null || id === undefined) return "";
  const u = units.find((x) => x.id === id);
  return u ? `${u.code} ${u.name}` : `#${id}`;
}

/** 1536 → "1.5 KB"; null → "". */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** A multipart body with one "file" field, typed as the generated client expects. */
export function fileForm(file: File): { file: string } {
  const form = new FormData();
  form.append("file", file, file.name);
  return form as unknown as { file: string };
}
