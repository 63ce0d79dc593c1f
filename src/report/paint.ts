/** Terminal colour for every report and diagnostic: whether to use it, and the one way text is painted. */

/** ANSI SGR codes of the colours reports use. */
export const COLOURS = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof COLOURS;

/** Returns whether terminal output should be coloured: a TTY and no NO_COLOR (https://no-color.org). */
export function wantsColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}

/** Returns a function that wraps text in colour `c` when `colour` is on, and returns it unchanged otherwise. */
export function painter(colour: boolean): (c: Colour, text: string) => string {
  return (c, text) => (colour ? `\x1b[${COLOURS[c]}m${text}\x1b[0m` : text);
}
