/** The `surgery` CLI from the sources (no build needed): examples' scripts run it as `SURGERY="node --import tsx test/examples/surgery-cli.ts"`. */
import { main } from '../../src/cli/main.ts';

await main(process.argv.slice(2));
