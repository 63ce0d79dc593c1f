/** Renders a report model in the format the user asked for. */
import type { ReportModel } from './report-model.ts';
import { renderMarkdown } from './render-markdown.ts';
import { renderText } from './render-text.ts';

export type ReportFormat = 'md' | 'json' | 'text';

/** Returns the report as text in `format`; `colour` only affects `text`. */
export function renderReport(model: ReportModel, format: ReportFormat, colour = false): string {
  if (format === 'json') return `${JSON.stringify(model, null, 2)}\n`;
  if (format === 'md') return renderMarkdown(model);
  return renderText(model, colour);
}
