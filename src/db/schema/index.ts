export * from "./access.ts";
export * from "./directory.ts";
export * from "./responses.ts";
export * from "./surveys.ts";
export * from "./work.ts";
