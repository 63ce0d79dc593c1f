/** The magic number torch's legacy (pre-1.6) format pickles first (`torch.serialization.MAGIC_NUMBER`). */
export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
