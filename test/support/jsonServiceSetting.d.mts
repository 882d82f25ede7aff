// Types for jsonServiceSetting.mjs.

/** The endpoint provider entry for the JSON session service at `origin`, as a user writes it. */
export declare function jsonServiceSetting(origin: string, names: { id: string; label: string }): Record<string, unknown>;
