/** A YAML value as docker-compose.yml uses it: scalars stay strings (Compose types them itself). */
export type Yaml = string | null | Yaml[] | YamlMap;
export interface YamlMap {
  [key: string]: Yaml;
}

interface Line {
  number: number;
  indent: number;
  text: string;
}

/**
 * Reads the block-style subset of YAML that docker-compose.yml is written in: maps, lists of
 * scalars, plain and quoted scalars, anchors (`&name`), aliases (`*name`) and merge keys
 * (`<<: *name`, `<<: [*a, *b]`), so that a check sees what Compose sees, for example a setting
 * or a volume that reaches a service through an anchor. Anything else (block scalars, flow
 * maps with content, maps inside lists, tags) is refused with the line number rather than
 * misread: extend this reader when the file needs more.
 */
export function readComposeYaml(text: string): Yaml {
  const lines = text
    .split('\n')
    .map((raw, index) => ({ number: index + 1, indent: raw.search(/\S/), text: uncommented(raw) }))
    .filter((line) => line.text !== '');
  if (lines.length === 0) return null;
  const reader = new Reader(lines);
  const value = reader.block();
  reader.expectEnd();
  return value;
}

class Reader {
  private next = 0;
  private readonly anchors = new Map<string, Yaml>();

  constructor(private readonly lines: Line[]) {}

  block(): Yaml {
    const line = this.lines[this.next];
    return isItem(line.text) ? this.list(line.indent) : this.map(line.indent);
  }

  expectEnd(): void {
    const line = this.lines[this.next];
    if (line) fail(line, 'unexpected indentation');
  }

  private map(indent: number): YamlMap {
    const map: YamlMap = {};
    const merged: YamlMap[] = [];
    for (let line = this.peek(indent); line && !isItem(line.text); line = this.peek(indent)) {
      this.next++;
      const entry = /^([^\s'"&*#][^:]*?|'[^']*'|"[^"]*"):(?: +(.*))?$/.exec(line.text);
      if (!entry) fail(line, 'expected "key: value"');
      const key = scalar(entry[1], line);
      const value = this.value(entry[2], indent, line);
      if (key === '<<') {
        for (const source of Array.isArray(value) ? value : [value]) {
          if (!isMap(source)) fail(line, 'a merge key takes a map or a list of maps');
          merged.push(source);
        }
      } else {
        if (key in map) fail(line, `duplicate key ${key}`);
        map[key] = value;
      }
    }
    // Keys written in the map win over merged ones; among merged maps, the first wins.
    for (const source of merged) {
      for (const [key, value] of Object.entries(source)) if (!(key in map)) map[key] = value;
    }
    return map;
  }

  private list(indent: number): Yaml[] {
    const items: Yaml[] = [];
    for (let line = this.peek(indent); line && isItem(line.text); line = this.peek(indent)) {
      this.next++;
      const text = line.text.slice(1).trim();
      if (text === '' || /^[^'"][^:]*: /.test(text)) fail(line, 'only scalars in lists');
      items.push(this.inline(text, line));
    }
    return items;
  }

  /** The value after `key:`: inline, or the block indented below it, maybe anchored. */
  private value(text: string | undefined, indent: number, line: Line): Yaml {
    const anchored = /^&([\w-]+)(?: +(.*))?$/.exec(text ?? '');
    const rest = anchored ? anchored[2] : text;
    let value: Yaml = null;
    if (rest !== undefined && rest !== '') value = this.inline(rest, line);
    else if ((this.lines[this.next]?.indent ?? -1) > indent) value = this.block();
    if (anchored) this.anchors.set(anchored[1], value);
    return value;
  }

  private inline(text: string, line: Line): Yaml {
    if (text.startsWith('*')) {
      if (!this.anchors.has(text.slice(1))) fail(line, `unknown alias ${text}`);
      return this.anchors.get(text.slice(1)) ?? null;
    }
    if (text === '{}') return {};
    if (text.startsWith('[') && text.endsWith(']')) {
      const inner = text.slice(1, -1).trim();
      return inner === '' ? [] : inner.split(',').map((item) => this.inline(item.trim(), line));
    }
    return scalar(text, line);
  }

  /** The next line if it is at `indent`; undefined at a shallower one (the block's end). */
  private peek(indent: number): Line | undefined {
    const line = this.lines[this.next];
    if (!line || line.indent < indent) return undefined;
    if (line.indent > indent) fail(line, 'unexpected indentation');
    return line;
  }
}

function scalar(text: string, line: Line): string {
  if (/^'.*'$/.test(text)) return text.slice(1, -1).replaceAll("''", "'");
  if (/^".*"$/.test(text)) {
    if (/\\[^"\\]/.test(text)) fail(line, 'escape sequences are not supported');
    return text.slice(1, -1).replace(/\\(["\\])/g, '$1');
  }
  if (/^[|>&*!%@`{[\]'"]/.test(text) || text.includes(': ')) {
    fail(line, `unsupported value ${text}`);
  }
  return text;
}

/** The line without its comment and surrounding blanks (a # outside quotes, after a blank). */
function uncommented(raw: string): string {
  let quote: string | undefined;
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i];
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === '#' && (i === 0 || /\s/.test(raw[i - 1]))) {
      return raw.slice(0, i).trim();
    }
  }
  return raw.trim();
}

function isItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

export function isMap(value: Yaml | undefined): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(line: Line, problem: string): never {
  throw new Error(`docker-compose.yml line ${line.number}: ${problem}`);
}
