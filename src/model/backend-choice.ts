/**
 * The backends a user can ask for, kept apart from `backend.ts` so that commands can declare their
 * `--backend` option without loading TensorFlow.js.
 */
export const BACKEND_CHOICES = ['auto', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;

export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** The `--backend` option's help text. */
export const BACKEND_HELP = 'TensorFlow.js backend; auto = webgpu on a GPU adapter, else tfjs-node(-gpu) when installed, else wasm';
