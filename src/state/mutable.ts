/** `T` with its fields writable: for a fold that builds a readonly value in place. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
