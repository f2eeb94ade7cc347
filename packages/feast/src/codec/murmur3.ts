/**
 * MurmurHash3 x86_32 (seed 0) and the Redis hash field names Feast derives from it
 * (`feast/infra/online_stores/helpers.py::_mmh3`).
 */

const utf8 = new TextEncoder();

/** MurmurHash3 x86_32 of `data` (a string is hashed as its UTF-8 bytes), as an unsigned 32-bit integer. */
export function murmur3(data: string | Uint8Array, seed = 0): number {
  const bytes = typeof data === 'string' ? utf8.encode(data) : data;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const length = bytes.length;
  const blocks = length & ~3;
  let h = seed >>> 0;
  for (let i = 0; i < blocks; i += 4) {
    let k =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= (bytes[blocks + 2] as number) << 16;
    if (tail >= 2) k ^= (bytes[blocks + 1] as number) << 8;
    k ^= bytes[blocks] as number;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The Redis hash field of a feature: the 4 bytes, little-endian, of murmur3(`"<featureView>:<feature>"`).
 * Binary, not text: send and compare it as bytes.
 */
export function featureFieldName(featureView: string, feature: string): Uint8Array {
  const hash = murmur3(`${featureView}:${feature}`);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, hash, true);
  return out;
}

/** The Redis hash field that holds a feature view's event timestamp: the UTF-8 text `_ts:<featureView>`. */
export function timestampFieldName(featureView: string): Uint8Array {
  return utf8.encode(`_ts:${featureView}`);
}
