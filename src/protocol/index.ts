export * from "./close-code.ts";
export * from "./codec.ts";
export * from "./errors.ts";
export * from "./event.ts";
export * from "./frame.ts";
export * from "./log-entry.ts";
export * from "./rules.ts";
export * from "./search.ts";
