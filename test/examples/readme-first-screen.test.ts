/**
 * The README's first screen names exactly two commands, install + demo and the tests, and CI (.ci/run) runs exactly
 * those, so a fresh clone's first two commands cannot rot.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Returns the shell commands in the fenced blocks above the README's first `## ` heading (comments dropped). */
function firstScreenCommands(readme: string): string[] {
  const firstScreen = readme.split(/^## /m)[0]!;
  const blocks = [...firstScreen.matchAll(/^```(?:sh|bash|shell|console)?\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
  return blocks.flatMap((block) => block.split('\n')).map((line) => line.replace(/\s+#.*$/, '').replace(/^\$ /, '').trim()).filter((line) => line && !line.startsWith('#'));
}

test('the first screen names exactly the demo (with its install) and the tests', () => {
  const commands = firstScreenCommands(readFileSync(`${ROOT}README.md`, 'utf8'));
  assert.equal(commands, ['npm ci && npm run demo', 'npm test']);
});

test('.ci/run runs those two commands as written', () => {
  const ci = readFileSync(`${ROOT}.ci/run`, 'utf8').split('\n').map((l) => l.trim());
  for (const command of ['npm ci --no-audit --no-fund', 'npm run demo', 'npm test']) assert.ok(ci.includes(command), `.ci/run lacks "${command}"`);
  assert.ok(ci.indexOf('npm run demo') < ci.indexOf('npm test'), 'the demo runs before the tests');
});

test('package.json\'s demo script is the CLI\'s demo command', () => {
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> };
  assert.is(pkg.scripts.demo, 'node bin/surgery.js demo');
});

test.run();
