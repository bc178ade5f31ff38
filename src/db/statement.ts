/*
 * Statements of many pieces on a hot path, written as template literals like drizzle's `sql`
 * (a `${value}` is a parameter, a `${fragment}` is inlined, `${ident(name)}` is a quoted name)
 * but compiled without its query builder. The text of a statement depends only on which
 * templates it is made of, so it is rendered once per shape and reused: each call only collects
 * the parameters. Intake's one statement per event has some fifty parameters in about 7 KB of
 * text; building it through drizzle allocated about 97 KB per event.
 */

/** A piece of SQL text and the values between its parts. */
export class Fragment {
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}
}

/** A name quoted into the text (a CTE's, a table's), never a parameter. */
class Identifier {
  constructor(readonly name: string) {}
}

export function stmt(strings: TemplateStringsArray, ...values: unknown[]): Fragment {
  return new Fragment(strings, values);
}

export function ident(name: string): Identifier {
  return new Identifier(name);
}

/** Nothing: for a piece a statement leaves out. */
export const nothing = new Fragment([""], []);

export interface CompiledStatement {
  sql: string;
  params: unknown[];
}

// A template literal's strings are the same array at every evaluation of its site: their
// identities, with the identifiers, are the statement's shape.
const templateIds = new WeakMap<readonly string[], number>();
let nextTemplateId = 0;
const textsByShape = new Map<string, string>();
/** Shapes are few (they come from the code, not the data): the bound only guards a mistake. */
const SHAPE_LIMIT = 256;

function templateId(strings: readonly string[]): number {
  let id = templateIds.get(strings);
  if (id === undefined) {
    id = nextTemplateId++;
    templateIds.set(strings, id);
  }
  return id;
}

/** The statement's text (`$1`, `$2`... in order of appearance) and its parameters. */
export function compile(root: Fragment): CompiledStatement {
  const params: unknown[] = [];
  let shape = "";
  const collect = (fragment: Fragment) => {
    shape += `${templateId(fragment.strings)}(`;
    for (const value of fragment.values) {
      if (value instanceof Fragment) collect(value);
      else if (value instanceof Identifier) shape += JSON.stringify(value.name);
      else {
        params.push(value);
        shape += ",";
      }
    }
    shape += ")";
  };
  collect(root);
  let sql = textsByShape.get(shape);
  if (sql === undefined) {
    sql = render(root);
    if (textsByShape.size >= SHAPE_LIMIT) textsByShape.clear();
    textsByShape.set(shape, sql);
  }
  return { sql, params };
}

function render(root: Fragment): string {
  let position = 0;
  const text = (fragment: Fragment): string => {
    let out = fragment.strings[0]!;
    fragment.values.forEach((value, i) => {
      if (value instanceof Fragment) out += text(value);
      else if (value instanceof Identifier) out += `"${value.name.replaceAll('"', '""')}"`;
      else out += `$${++position}`;
      out += fragment.strings[i + 1]!;
    });
    return out;
  };
  return text(root);
}
