/**
 * Finds renamed key segments by structure: the keys of each side form a tree of segments; where a node has children
 * on one side that the other lacks, those children are paired by what is under them — the same tensors with the same
 * shapes in the same order (an exact match), or failing that the most shared relative keys — never by how the names
 * are spelled. DROID's `camera/image/varied_camera_1_left_image` and LIBERO's `agentview_rgb` are paired because
 * their encoders are the same 60 tensors.
 */

/** One key of one side: segments (wrappers already stripped) and shape. */
export interface ShapedKey {
  segments: string[];
  shape: number[];
}

/** A source segment paired with a target segment under the same parent. */
export interface SegmentMatch {
  /** The parent's segments (wrappers stripped, target names). */
  parent: string[];
  from: string;
  to: string;
  /** Tensors under the source node. */
  tensors: number;
  /** `exact`: same relative keys, shapes and order; `partial`: `shared` of the relative keys agree. */
  kind: 'exact' | 'partial';
  /** For `partial`: relative keys both sides have, and how many of them have equal shapes. */
  shared: number;
  sameShape: number;
  /** Other target segments that fit this source segment exactly as well (a tie broken by order); empty if none. */
  alternatives: string[];
}

/**
 * Partial matches need more than this share (Jaccard) of relative keys in common, and more than this share of the
 * source's tensors with the same shape on the target side: otherwise little would transfer and the rename would only
 * hide that two different modules sit under the names.
 */
const MIN_SHARED_FRACTION = 0.5;

interface TreeNode {
  name: string;
  children: Map<string, TreeNode>;
  /** Set on leaves (a tensor). */
  shape: number[] | null;
  /** `relative.key=AxB` of every tensor below, in key order. */
  entries: string[];
  /** Relative keys of every tensor below. */
  relKeys: Set<string>;
}

/** Returns the segment pairings that make the source tree's shape agree with the target's, parents first. */
export function matchSubtrees(source: readonly ShapedKey[], target: readonly ShapedKey[]): SegmentMatch[] {
  const matches: SegmentMatch[] = [];
  align(buildTree(source), buildTree(target), [], matches);
  return matches;
}

function buildTree(keys: readonly ShapedKey[]): TreeNode {
  const root = newNode('');
  for (const { segments, shape } of keys) {
    let node = root;
    for (const segment of segments) {
      let child = node.children.get(segment);
      if (!child) node.children.set(segment, (child = newNode(segment)));
      node = child;
    }
    node.shape = shape;
  }
  fillEntries(root);
  return root;
}

function newNode(name: string): TreeNode {
  return { name, children: new Map(), shape: null, entries: [], relKeys: new Set() };
}

function fillEntries(node: TreeNode): void {
  if (node.shape !== null && node.children.size === 0) {
    node.entries = [`=${node.shape.join('x')}`];
    node.relKeys = new Set(['']);
    return;
  }
  for (const child of node.children.values()) {
    fillEntries(child);
    for (const e of child.entries) node.entries.push(`${child.name}.${e}`);
    for (const k of child.relKeys) node.relKeys.add(`${child.name}.${k}`);
  }
}

function align(source: TreeNode, target: TreeNode, path: string[], out: SegmentMatch[]): void {
  const onlySource = [...source.children.values()].filter((c) => !target.children.has(c.name));
  const onlyTarget = [...target.children.values()].filter((c) => !source.children.has(c.name));
  const pairs = [...exactPairs(onlySource, onlyTarget, path), ...partialPairs(onlySource, onlyTarget, path), ...leafPairs(onlySource, onlyTarget, path)];
  out.push(...pairs.map((p) => p.match));
  for (const [name, child] of source.children) {
    const other = target.children.get(name);
    if (other && child.shape === null) align(child, other, [...path, name], out);
  }
  for (const p of pairs) if (p.match.kind === 'partial') align(p.source, p.target, [...path, p.target.name], out);
}

interface Pair {
  source: TreeNode;
  target: TreeNode;
  match: SegmentMatch;
}

/** Pairs subtrees with identical entries, in order within each group of identical ones; removes them from the lists. */
function exactPairs(sources: TreeNode[], targets: TreeNode[], path: string[]): Pair[] {
  const groups = new Map<string, { sources: TreeNode[]; targets: TreeNode[] }>();
  const signature = (n: TreeNode): string => (n.shape === null ? n.entries.join(';') : '');
  for (const n of sources) if (n.shape === null) group(groups, signature(n)).sources.push(n);
  for (const n of targets) if (n.shape === null) group(groups, signature(n)).targets.push(n);
  const pairs: Pair[] = [];
  for (const g of groups.values()) {
    const n = Math.min(g.sources.length, g.targets.length);
    for (let i = 0; i < n; i++) {
      const s = g.sources[i]!;
      const t = g.targets[i]!;
      const alternatives = g.sources.length > 1 ? g.targets.filter((x) => x !== t).map((x) => x.name) : [];
      pairs.push({ source: s, target: t, match: { parent: path, from: s.name, to: t.name, tensors: s.entries.length, kind: 'exact', shared: s.entries.length, sameShape: s.entries.length, alternatives } });
    }
  }
  remove(sources, targets, pairs);
  return pairs;
}

function group(groups: Map<string, { sources: TreeNode[]; targets: TreeNode[] }>, key: string): { sources: TreeNode[]; targets: TreeNode[] } {
  let g = groups.get(key);
  if (!g) groups.set(key, (g = { sources: [], targets: [] }));
  return g;
}

/** Pairs the remaining subtrees greedily by shared relative keys (best first, earlier first on a tie). */
function partialPairs(sources: TreeNode[], targets: TreeNode[], path: string[]): Pair[] {
  const scored: Array<{ s: TreeNode; t: TreeNode; score: number; shared: number; sameShape: number; order: number }> = [];
  sources.forEach((s, i) => {
    if (s.shape !== null) return;
    targets.forEach((t, j) => {
      if (t.shape !== null) return;
      const shared = [...s.relKeys].filter((k) => t.relKeys.has(k)).length;
      const score = shared / (s.relKeys.size + t.relKeys.size - shared);
      const targetEntries = new Set(t.entries);
      const sameShape = s.entries.filter((e) => targetEntries.has(e)).length;
      if (score >= MIN_SHARED_FRACTION && sameShape > s.entries.length * MIN_SHARED_FRACTION) scored.push({ s, t, score, shared, sameShape, order: i * targets.length + j });
    });
  });
  scored.sort((a, b) => b.score - a.score || b.sameShape - a.sameShape || a.order - b.order);
  const pairs: Pair[] = [];
  const used = new Set<TreeNode>();
  for (const c of scored) {
    if (used.has(c.s) || used.has(c.t)) continue;
    used.add(c.s).add(c.t);
    const alternatives = scored.filter((o) => o.s === c.s && o.t !== c.t && o.score === c.score && o.sameShape === c.sameShape).map((o) => o.t.name);
    pairs.push({ source: c.s, target: c.t, match: { parent: path, from: c.s.name, to: c.t.name, tensors: c.s.entries.length, kind: 'partial', shared: c.shared, sameShape: c.sameShape, alternatives } });
  }
  remove(sources, targets, pairs);
  return pairs;
}

/** Pairs single tensors only where one source and one target tensor of that shape are left: anything else is a guess. */
function leafPairs(sources: TreeNode[], targets: TreeNode[], path: string[]): Pair[] {
  const shapeOf = (n: TreeNode): string => n.shape!.join('x');
  const pairs: Pair[] = [];
  for (const s of sources) {
    if (s.shape === null || s.children.size > 0) continue;
    const sameSource = sources.filter((o) => o.shape !== null && shapeOf(o) === shapeOf(s));
    const sameTarget = targets.filter((o) => o.shape !== null && o.children.size === 0 && shapeOf(o) === shapeOf(s));
    if (sameSource.length !== 1 || sameTarget.length !== 1) continue;
    const t = sameTarget[0]!;
    pairs.push({ source: s, target: t, match: { parent: path, from: s.name, to: t.name, tensors: 1, kind: 'partial', shared: 0, sameShape: 1, alternatives: [] } });
  }
  remove(sources, targets, pairs);
  return pairs;
}

function remove(sources: TreeNode[], targets: TreeNode[], pairs: Pair[]): void {
  const used = new Set(pairs.flatMap((p) => [p.source, p.target]));
  for (const list of [sources, targets]) {
    for (let i = list.length - 1; i >= 0; i--) if (used.has(list[i]!)) list.splice(i, 1);
  }
}
