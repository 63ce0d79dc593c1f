/**
 * The loss curve as a self-contained SVG (no plotting dependency): training loss per step on a log
 * axis, with validation loss per epoch as dots. Rewritten atomically as training runs, so a browser
 * tab or image viewer pointed at it always shows a whole file.
 */

export interface LossPoint {
  step: number;
  loss: number;
}

const WIDTH = 720;
const HEIGHT = 360;
const MARGIN = { left: 64, right: 16, top: 28, bottom: 40 };

/** Returns the SVG text for `train` (per step) and `valid` (per epoch end) losses. */
export function renderLossPlot(train: LossPoint[], valid: LossPoint[], title: string): string {
  const all = [...train, ...valid].filter((p) => Number.isFinite(p.loss) && p.loss > 0);
  const maxStep = Math.max(1, ...all.map((p) => p.step));
  const lo = Math.log10(Math.min(...all.map((p) => p.loss), 1));
  const hi = Math.log10(Math.max(...all.map((p) => p.loss), 1e-3));
  const low = Math.floor(lo);
  const high = Math.max(Math.ceil(hi), low + 1);
  const x = (step: number) => MARGIN.left + ((WIDTH - MARGIN.left - MARGIN.right) * step) / maxStep;
  const y = (loss: number) => MARGIN.top + ((HEIGHT - MARGIN.top - MARGIN.bottom) * (high - Math.log10(loss))) / (high - low);
  const smooth = movingAverage(train, Math.max(1, Math.round(train.length / 100)));
  const path = (points: LossPoint[]) =>
    points.filter((p) => p.loss > 0 && Number.isFinite(p.loss)).map((p, i) => `${i ? 'L' : 'M'}${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join('');
  const ticks: string[] = [];
  for (let e = low; e <= high; e++) {
    ticks.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/>`);
    ticks.push(`<text x="${MARGIN.left - 6}" y="${y(10 ** e) + 4}" text-anchor="end">1e${e}</text>`);
  }
  const dots = valid.filter((p) => p.loss > 0).map((p) => `<circle cx="${x(p.step).toFixed(1)}" cy="${y(p.loss).toFixed(1)}" r="3.5" fill="#d62728"/>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${MARGIN.left}" y="18" font-size="13">${escapeXml(title)}</text>`,
    ...ticks,
    `<path d="${path(train)}" fill="none" stroke="#1f77b4" stroke-opacity="0.3"/>`,
    `<path d="${path(smooth)}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>`,
    ...dots,
    `<text x="${(WIDTH + MARGIN.left) / 2}" y="${HEIGHT - 8}" text-anchor="middle">step (of ${maxStep}); blue: train loss, red: validation loss</text>`,
    `</svg>`,
    '',
  ].join('\n');
}

function movingAverage(points: LossPoint[], window: number): LossPoint[] {
  const out: LossPoint[] = [];
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    sum += points[i]!.loss;
    if (i >= window) sum -= points[i - window]!.loss;
    out.push({ step: points[i]!.step, loss: sum / Math.min(i + 1, window) });
  }
  return out;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}
