export * from "./close-code.ts";
export * from "./codec.ts";
export * from "./errors.ts";
export * from "./event.ts";
export * from "./frame.ts";
export * from "./rules.ts";
