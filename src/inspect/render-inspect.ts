/**
 * Renders an inspect report as readable text (the default output of `surgery inspect`) or as
 * stable JSON (`--json`).
 */
import type { InspectReport } from './inspect-checkpoint.ts';
import type { StateDictSummary } from './summarize-state-dict.ts';
import type { TreeNode } from './summarize-tree.ts';

/** Returns the report as indented text. */
export function renderInspectText(report: InspectReport): string {
  const head = [`${report.file}: ${report.format}, ${formatBytes(report.fileSize)}`];
  if (report.archiveName !== undefined) head.push(`archive "${report.archiveName}"`);
  const lines = [head.join(', ')];
  if (report.metadata) lines.push(`metadata: ${JSON.stringify(report.metadata)}`);
  lines.push('', ...renderNode('<root>', report.tree, 0));
  for (const summary of report.stateDicts) lines.push('', ...renderStateDict(summary, report.keyFilter));
  return `${lines.join('\n')}\n`;
}

/** Returns the report as pretty JSON; bigints never occur (previews are strings). */
export function renderInspectJson(report: InspectReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

function renderNode(key: string, node: TreeNode, depth: number): string[] {
  const parts = [`${'  '.repeat(depth)}${key}: ${node.type}`];
  if (node.size !== undefined && node.preview === undefined) parts.push(`(${node.size})`);
  if (node.type === 'str' && node.size !== undefined) parts.push(`(${node.size} chars)`);
  if (node.preview !== undefined) parts.push(node.preview);
  if (node.stateDict !== undefined) parts.push(`— state dict "${node.stateDict || '<root>'}" (${node.size} tensors)`);
  const lines = [parts.join(' ')];
  for (const child of node.children ?? []) lines.push(...renderNode(child.key, child.node, depth + 1));
  if (node.children && node.size !== undefined && node.children.length < node.size) lines.push(`${'  '.repeat(depth + 1)}… ${node.size - node.children.length} more`);
  return lines;
}

function renderStateDict(summary: StateDictSummary, filter: string | undefined): string[] {
  const dtypes = Object.entries(summary.dtypes).map(([dtype, count]) => `${dtype} ×${count}`).join(', ');
  const lines = [`state dict "${summary.name || '<root>'}": ${summary.tensors} tensors, ${summary.parameters.toLocaleString('en-US')} parameters, ${formatBytes(summary.bytes)}, ${dtypes}`];
  if (filter !== undefined) lines.push(`  ${summary.matched} keys match "${filter}"`);
  for (const line of summary.keys) {
    lines.push(`  ${line.key}  [${line.shape.join(', ')}] ${line.dtype}${line.count > 1 ? `  (×${line.count})` : ''}`);
  }
  if (summary.aliasGroups.length) {
    lines.push(`  ${summary.aliasGroups.length} alias groups (keys sharing one storage):`);
    for (const group of summary.aliasGroups) lines.push(`    ${group[0]}`, ...group.slice(1).map((key) => `      = ${key}`));
  }
  return lines;
}

/** Returns a byte count in binary units (`5.7 MiB`). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
