/**
 * A config's JSON text written the way robomimic's `Config.dump()` writes it into a checkpoint:
 * Python's `json.dumps(config, indent=4)` (ASCII only, `": "` after keys, floats as Python's
 * `repr`), so a config we store is byte for byte the string robomimic would have stored.
 */
import { invariant } from '../invariant.ts';

const INDENT = '    ';

/**
 * Returns `text` (valid JSON) re-serialised as `json.dumps(json.loads(text), indent=4)`. Works on
 * the text, not on `JSON.parse`'s objects, so key order (integer-like keys included) and the
 * int/float distinction (`1` vs `1.0`) survive as Python sees them.
 */
export function dumpConfig(text: string): string {
  JSON.parse(text); // the scanner below trusts the text to be valid JSON
  let at = 0;
  const skipSpace = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  };
  const container = (open: string, close: string, depth: number, item: () => string): string => {
    at++;
    skipSpace();
    if (text[at] === close) return (at++, open + close);
    const items: string[] = [];
    for (;;) {
      items.push(item());
      skipSpace();
      if (text[at++] === close) break;
      skipSpace();
    }
    const pad = `\n${INDENT.repeat(depth + 1)}`;
    return `${open}${pad}${items.join(`,${pad}`)}\n${INDENT.repeat(depth)}${close}`;
  };
  const value = (depth: number): string => {
    skipSpace();
    const c = text[at]!;
    if (c === '{') {
      return container('{', '}', depth, () => {
        const key = stringToken();
        skipSpace();
        at++; // ':'
        return `${key}: ${value(depth + 1)}`;
      });
    }
    if (c === '[') return container('[', ']', depth, () => value(depth + 1));
    if (c === '"') return stringToken();
    const literal = /^(?:true|false|null|-?[0-9][0-9.eE+-]*)/.exec(text.slice(at, at + 400))?.[0];
    invariant(literal, `unexpected JSON at offset ${at}`);
    at += literal.length;
    return /^[tfn]/.test(literal) ? literal : pythonNumber(literal);
  };
  const stringToken = (): string => {
    const start = at;
    for (at++; text[at] !== '"'; at++) if (text[at] === '\\') at++;
    at++;
    return pythonString(JSON.parse(text.slice(start, at)) as string);
  };
  return value(0);
}

/** `json.dumps` of a str with `ensure_ascii`: JSON's escapes, then every code unit outside printable ASCII as `\uXXXX`. */
function pythonString(s: string): string {
  return JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A JSON number as Python's json module reads and writes it back: an int stays an exact int; anything with `.`/`e` is a float. */
function pythonNumber(literal: string): string {
  if (!/[.eE]/.test(literal)) return BigInt(literal).toString();
  return pythonFloatRepr(Number(literal));
}

/**
 * Returns Python's `repr(x)` of a float: the shortest round-trip digits (as JS finds them), in
 * fixed notation with at least one decimal when the exponent is in [-4, 16), else `d.ddde±XX`.
 */
export function pythonFloatRepr(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
  const sign = x < 0 ? '-' : '';
  const digits = mantissa.replace(/[-.]/g, '');
  const exp = Number(exponent);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  return `${sign}${digits.slice(0, exp + 1).padEnd(exp + 1, '0')}.${digits.slice(exp + 1) || '0'}`;
}
