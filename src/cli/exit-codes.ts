/**
 * Thrown by command handlers to end with a specific exit code after their output is printed
 * (e.g. `check` found problems). main() turns it into the exit code without printing a stack.
 */
export class ExitWith extends Error {
  constructor(readonly code: number, message = '') {
    super(message);
  }
}
