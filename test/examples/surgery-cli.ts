/** The `surgery` CLI from the sources (no build needed): examples' scripts run it as `SURGERY="node --import tsx test/examples/surgery-cli.ts"`. */
import { pathToFileURL } from 'node:url';
import { main } from '../../src/cli/main.ts';

// Only when run as a program: a test runner that imports every file under test/ must not start the CLI.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
