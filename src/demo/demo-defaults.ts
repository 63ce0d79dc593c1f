/** The defaults `npm run demo` uses: about two minutes of training on 2 CPU cores (wasm backend). */
export const DEMO_DEFAULTS = { out: 'demo-out', epochs: 3, stepsPerEpoch: 20 } as const;
