import { loadPolicy } from './src/model/load-policy.ts';
import { selectBackend } from './src/model/backend.ts';
await selectBackend('cpu');
const w = async (p: string) => { const { policy } = await loadPolicy(p); return policy.nets.tensors.map((t) => Array.from(t.dataSync())); };
const a = await w(process.argv[2]!), c = await w(process.argv[3]!);
console.log(Math.max(...a.map((t, i) => Math.max(...t.map((v, j) => Math.abs(v - c[i]![j]!))))));
