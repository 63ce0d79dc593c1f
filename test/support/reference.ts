/**
 * Where the robomimic reference fixtures are (`../shared/reference`, read-only, not shipped): one
 * definition for every test and benchmark. A file path (fileURLToPath, so a checkout path with a
 * space works), ending in a slash.
 */
import { fileURLToPath } from 'node:url';

export const REFERENCE_DIR = fileURLToPath(new URL('../../../shared/reference/', import.meta.url));
