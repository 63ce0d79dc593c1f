/**
 * The Python baseline the rewrite benchmarks race: torch.load → rename the keys and `_metadata`
 * module names of `model.nets` and `model.ema` → torch.save, printing its in-process seconds.
 *
 *   /usr/bin/python3 -c SCRIPT SOURCE OUTPUT [ARG] [fsync]
 *
 * With a last argument "fsync", the file and its folder are then flushed to disk, as our default
 * write does; ARG is left to the rename.
 */

/** Returns the baseline script around `renameDef`, Python defining `rename(name) -> str` (it may read `sys.argv[3]`). */
export function torchRenameBaseline(renameDef: string): string {
  return String.raw`
import os, sys, json, time, collections, torch
started = time.perf_counter()
${renameDef.trim()}
ckpt = torch.load(sys.argv[1], map_location='cpu')
for name in ('nets', 'ema'):
    old = ckpt['model'][name]
    new = collections.OrderedDict((rename(k), v) for k, v in old.items())
    new._metadata = collections.OrderedDict((rename(k), v) for k, v in old._metadata.items())
    ckpt['model'][name] = new
torch.save(ckpt, sys.argv[2])
if sys.argv[-1] == 'fsync':
    for path, flags in ((sys.argv[2], os.O_RDONLY), (os.path.dirname(os.path.abspath(sys.argv[2])), os.O_RDONLY | os.O_DIRECTORY)):
        fd = os.open(path, flags)
        os.fsync(fd)
        os.close(fd)
print('%.3f' % (time.perf_counter() - started))
`;
}
