/** Malformed flag values are usage errors: one line on stderr and exit 2, never a stack trace. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createCli } from '../../src/cli/create-cli.ts';
import { UsageError } from '../../src/usage-error.ts';

/** Returns the error the real CLI throws for `argv` (the check runs before any handler). */
async function failure(argv: string[]): Promise<unknown> {
  try {
    await createCli(argv).parseAsync();
  } catch (error) {
    return error;
  }
  return assert.unreachable(`${argv.join(' ')} should fail`);
}

test('train and demo: each bad flag value is a UsageError naming the flag and the value', async () => {
  const cases: [string[], string][] = [
    [['train', '--config', 'x.json', '--epochs', '0'], '--epochs must be a positive integer, not 0.'],
    [['train', '--config', 'x.json', '--batch-size', '2.5'], '--batch-size must be a positive integer, not 2.5.'],
    [['train', '--config', 'x.json', '--micro-batch', '0'], '--micro-batch must be a positive integer, not 0.'],
    [['train', '--config', 'x.json', '--micro-batch', '1.5'], '--micro-batch must be a positive integer, not 1.5.'],
    [['train', '--config', 'x.json', '--micro-batch', 'many'], '--micro-batch must be a positive integer, not NaN.'],
    [['train', '--config', 'x.json', '--seed', '-1'], '--seed must be a non-negative integer, not -1.'],
    [['train', '--config', 'x.json', '--resume', '--init', 'a.pth'], '--resume continues OUT/last.pth; it cannot be combined with --init.'],
    [['demo', '--steps-per-epoch', '0'], '--steps-per-epoch must be a positive integer, not 0.'],
  ];
  for (const [argv, message] of cases) {
    const error = await failure(argv);
    assert.instance(error, UsageError, argv.join(' '));
    assert.is((error as Error).message, message);
  }
});

for (const [flag, value] of [['--epochs', '0'], ['--micro-batch', '-4']]) {
  test(`the real process: \`train ${flag} ${value}\` exits 2 with the message and the usage hint only`, () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/examples/surgery-cli.ts', 'train', '--config', 'x.json', flag, value], { encoding: 'utf8' });
    assert.is(run.status, 2, run.stderr);
    assert.is(run.stderr, `surgery: ${flag} must be a positive integer, not ${value}.\nRun \`surgery --help\` for usage.\n`);
  });
}

test.run();
