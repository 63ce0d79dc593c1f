/**
 * Training progress for people: a cli-progress bar (step, loss, steps/s, ETA) on a terminal, one
 * plain line every few seconds otherwise (CI logs, pipes), and messages that never break the bar.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(step: number, loss: number, stepsPerSecond: number): void;
  /** Prints a line above the bar (or plainly). */
  log(message: string): void;
  stop(): void;
}

/** How often the plain-text reporter prints, in milliseconds. */
const PLAIN_INTERVAL_MS = 5000;

/** Returns the reporter for `totalSteps` steps starting at `startStep`, writing to `stream`. */
export function createProgress(totalSteps: number, startStep: number, stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  if (quiet) return { update: () => undefined, log: () => undefined, stop: () => undefined };
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: 'step {value}/{total} |{bar}| loss {loss} | {rate} steps/s | ETA {eta_formatted}', stream, etaBuffer: 50, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(totalSteps, startStep, { loss: '-', rate: '-' });
    return {
      update: (step, loss, rate) => bar.update(step, { loss: loss.toPrecision(4), rate: rate.toFixed(2) }),
      log(message) {
        // cli-progress redraws on the current line; clear it, print, redraw.
        stream.write(`\r\x1b[K${message}\n`);
        bar.render();
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update(step, loss, rate) {
      const now = Date.now();
      if (now - last < PLAIN_INTERVAL_MS && step !== totalSteps) return;
      last = now;
      const eta = rate > 0 ? Math.round((totalSteps - step) / rate) : NaN;
      stream.write(`step ${step}/${totalSteps} loss ${loss.toPrecision(4)} ${rate.toFixed(2)} steps/s ETA ${Number.isFinite(eta) ? `${eta}s` : '-'}\n`);
    },
    log: (message) => void stream.write(`${message}\n`),
    stop: () => undefined,
  };
}
