import { benchClick } from "./click.ts";
console.log(JSON.stringify(await benchClick({ databaseUrl: "postgres://postgres@127.0.0.1:54329/postgres", durationSeconds: 10, connections: 50 })));
