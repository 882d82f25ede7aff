// Types for net.mjs: ports for tests.

/** A port on 127.0.0.1 that nothing listens on now (the probe server is closed before it returns). */
export declare function freePort(): Promise<number>;
