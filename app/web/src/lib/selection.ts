// Selection in a list: click, Ctrl/Cmd-click (toggle), Shift-click (range
// from the anchor), as file managers do.

export interface Selection {
  ids: Set<string>;
  anchor?: string;
}

export function clickSelect(sel: Selection, order: string[], id: string, mods: { shift?: boolean; toggle?: boolean }): Selection {
  if (mods.shift && sel.anchor && order.includes(sel.anchor)) {
    const a = order.indexOf(sel.anchor);
    const b = order.indexOf(id);
    const [lo, hi] = a < b ? [a, b] : [b, a];
    const ids = mods.toggle ? new Set(sel.ids) : new Set<string>();
    for (let i = lo; i <= hi; i++) ids.add(order[i]);
    return { ids, anchor: sel.anchor };
  }
  if (mods.toggle) {
    const ids = new Set(sel.ids);
    if (ids.has(id)) ids.delete(id);
    else ids.add(id);
    return { ids, anchor: id };
  }
  return { ids: new Set([id]), anchor: id };
}

/** Arrow keys: moves a single selection by delta (extends it with shift). */
export function moveSelect(sel: Selection, order: string[], delta: number, extend: boolean): Selection {
  if (order.length === 0) return sel;
  const cur = sel.anchor && order.includes(sel.anchor) ? order.indexOf(sel.anchor) : delta > 0 ? -1 : order.length;
  const next = Math.max(0, Math.min(order.length - 1, cur + delta));
  const id = order[next];
  if (extend) {
    const ids = new Set(sel.ids);
    ids.add(id);
    return { ids, anchor: id };
  }
  return { ids: new Set([id]), anchor: id };
}

/** Drops ids that are no longer listed. */
export function pruneSelection(sel: Selection, order: string[]): Selection {
  const present = new Set(order);
  const ids = new Set([...sel.ids].filter((i) => present.has(i)));
  if (ids.size === sel.ids.size) return sel;
  return { ids, anchor: sel.anchor && present.has(sel.anchor) ? sel.anchor : undefined };
}
