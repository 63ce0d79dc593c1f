/** Runs the `surgery` CLI from source (through tsx), for benchmarks that must not depend on a build. */
import { main } from '../../src/cli/main.ts';

await main(process.argv.slice(2));
