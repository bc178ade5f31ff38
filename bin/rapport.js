#!/usr/bin/env node
// The TypeScript sources run as they are, through tsx's loader: there is no build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
