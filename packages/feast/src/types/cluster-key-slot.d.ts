// cluster-key-slot (the slot function ioredis uses) ships no types.
declare module 'cluster-key-slot' {
  /** The Redis Cluster slot of a key, or of its {hash tag} when it has one: CRC16-XMODEM mod 16384. */
  function generate(key: string | ArrayLike<number>): number;
  namespace generate {
    /** The common slot of several keys; -1 when they are not all in the same slot. */
    function generateMulti(keys: ReadonlyArray<string | ArrayLike<number>>): number;
  }
  export = generate;
}
