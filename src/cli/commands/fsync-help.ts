/** The `--fsync` help shared by the commands that write a checkpoint from the command line. */
export const FSYNC_HELP =
  'flush the output to disk before it takes its name (default); --no-fsync skips that, as torch.save does: faster on a slow disk, but a crash soon after can lose the file';
