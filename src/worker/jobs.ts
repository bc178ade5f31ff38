import type { Job } from "./runner.ts";

/** Every background job the worker runs, in order. */
export const jobs: Job[] = [];
