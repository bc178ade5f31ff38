import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    pool: "forks",
    // Test files share each worker's module graph instead of importing the app afresh, which
    // took over half the suite's time. Nothing in the sources keeps state per module that a
    // file could see from another: caches are keyed by the database or services object.
    isolate: false,
    globalSetup: ["test/support/pglite-template.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default"],
  },
});
