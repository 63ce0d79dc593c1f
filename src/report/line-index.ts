/**
 * Offset → 1-based line:column, the one way every report and code frame counts lines: `\n`, `\r\n`
 * and a lone `\r` each end a line, as the remap lexer counts them.
 */

/** 1-based line and column. */
export interface LineColumn {
  line: number;
  column: number;
}

/** Returns the 1-based line and column of `offset` in `source` (offsets past the end clamp to the end). */
export function lineColumn(source: string, offset: number): LineColumn {
  return new LineIndex(source).locate(offset);
}

/** Line starts of one source, computed once, for offset → line:column by binary search. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(private readonly source: string) {
    for (let i = 0; i < source.length; i++) {
      const c = source.charCodeAt(i);
      // \r\n counts as one break; a lone \r is a break too (the lexer agrees).
      if (c === 10 || (c === 13 && source.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }

  /** Returns the line and column of `offset` (offsets outside the source clamp to its ends). */
  locate(offset: number): LineColumn {
    const clamped = Math.min(Math.max(0, offset), this.source.length);
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: clamped - this.starts[lo]! + 1 };
  }

  /** Returns line `n` (1-based) without its line break. */
  text(n: number): string {
    const start = this.starts[n - 1] ?? this.source.length;
    const next = this.starts[n] ?? this.source.length;
    return this.source.slice(start, next).replace(/\r?\n$|\r$/, '');
  }
}
