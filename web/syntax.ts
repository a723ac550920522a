import { python } from '@codemirror/lang-python';
import { StreamLanguage, type StreamParser, type StringStream } from '@codemirror/language';
import type { Extension } from '@codemirror/state';

/**
 * What the editor needs to know of a language: its name, its indentation, and for the small
 * highlighter below, its keywords, literals, comments and strings. Python has a real parser
 * (@codemirror/lang-python); the others are tokenized line by line from this data alone.
 */
export interface Syntax {
  /** For the editor's accessible name ("JavaScript code"). */
  name: string;
  indent: string;
  keywords?: readonly string[];
  /** true, false, null and the like. */
  literals?: readonly string[];
  lineComment?: string;
  blockComment?: readonly [open: string, close: string];
  /** Characters that open a string, closed by the same character (a string may span lines). */
  quotes?: string;
  /** `$name` is a variable (Bash, PHP). */
  dollarVariables?: boolean;
  /** A line starting with `#` is a preprocessor directive (C, C++). */
  directives?: boolean;
}

const C_KEYWORDS = [
  'auto', 'break', 'case', 'char', 'const', 'continue', 'default', 'do', 'double', 'else',
  'enum', 'extern', 'float', 'for', 'goto', 'if', 'inline', 'int', 'long', 'register',
  'restrict', 'return', 'short', 'signed', 'sizeof', 'static', 'struct', 'switch', 'typedef',
  'union', 'unsigned', 'void', 'volatile', 'while', 'bool', '_Bool',
]; // prettier-ignore

const PYTHON: Syntax = { name: 'Python', indent: '    ' };

/** By the `language` of GET /runtimes. A language not here is edited as plain text. */
export const SYNTAXES: Record<string, Syntax> = {
  python: PYTHON,
  'python-scientific': PYTHON,
  javascript: {
    name: 'JavaScript',
    indent: '  ',
    keywords: [
      'async', 'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'default',
      'delete', 'do', 'else', 'export', 'extends', 'finally', 'for', 'function', 'if', 'import',
      'in', 'instanceof', 'let', 'new', 'of', 'return', 'static', 'super', 'switch', 'this',
      'throw', 'try', 'typeof', 'var', 'void', 'while', 'yield',
    ], // prettier-ignore
    literals: ['true', 'false', 'null', 'undefined', 'NaN', 'Infinity'],
    lineComment: '//',
    blockComment: ['/*', '*/'],
    quotes: `"'\``,
  },
  bash: {
    name: 'Bash',
    indent: '  ',
    keywords: [
      'if', 'then', 'elif', 'else', 'fi', 'for', 'while', 'until', 'do', 'done', 'case', 'esac',
      'in', 'function', 'return', 'local', 'export', 'declare', 'readonly', 'echo', 'printf',
      'read', 'exit', 'set', 'shift', 'break', 'continue',
    ], // prettier-ignore
    literals: ['true', 'false'],
    lineComment: '#',
    quotes: `"'`,
    dollarVariables: true,
  },
  c: {
    name: 'C',
    indent: '    ',
    keywords: C_KEYWORDS,
    literals: ['true', 'false', 'NULL'],
    lineComment: '//',
    blockComment: ['/*', '*/'],
    quotes: `"'`,
    directives: true,
  },
  cpp: {
    name: 'C++',
    indent: '    ',
    keywords: [
      ...C_KEYWORDS,
      'auto', 'catch', 'class', 'constexpr', 'delete', 'explicit', 'friend', 'namespace', 'new',
      'noexcept', 'operator', 'override', 'private', 'protected', 'public', 'template', 'this',
      'throw', 'try', 'typename', 'using', 'virtual',
    ], // prettier-ignore
    literals: ['true', 'false', 'nullptr', 'NULL'],
    lineComment: '//',
    blockComment: ['/*', '*/'],
    quotes: `"'`,
    directives: true,
  },
  ruby: {
    name: 'Ruby',
    indent: '  ',
    keywords: [
      'begin', 'break', 'case', 'class', 'def', 'do', 'else', 'elsif', 'end', 'ensure', 'for',
      'if', 'in', 'module', 'next', 'puts', 'print', 'raise', 'require', 'rescue', 'return',
      'self', 'then', 'unless', 'until', 'when', 'while', 'yield', 'and', 'or', 'not',
    ], // prettier-ignore
    literals: ['true', 'false', 'nil'],
    lineComment: '#',
    quotes: `"'`,
  },
  php: {
    name: 'PHP',
    indent: '    ',
    keywords: [
      'abstract', 'as', 'break', 'case', 'catch', 'class', 'const', 'continue', 'default', 'do',
      'echo', 'else', 'elseif', 'extends', 'fn', 'for', 'foreach', 'function', 'if', 'implements',
      'interface', 'match', 'namespace', 'new', 'print', 'private', 'protected', 'public',
      'return', 'static', 'switch', 'throw', 'try', 'use', 'while',
    ], // prettier-ignore
    literals: ['true', 'false', 'null', 'TRUE', 'FALSE', 'NULL'],
    lineComment: '//',
    blockComment: ['/*', '*/'],
    quotes: `"'`,
    dollarVariables: true,
  },
};

/** Plain text: a language the page has no data for. */
const PLAIN: Syntax = { name: 'Program', indent: '    ' };

export function syntaxOf(language: string): Syntax {
  return SYNTAXES[language] ?? PLAIN;
}

interface TokenState {
  /** Inside a block comment that continues on the next line. */
  inComment: boolean;
  /** The quote of a string that continues on the next line. */
  inString: string | undefined;
}

/** Reads on to the end of a string (or of the line, where the string goes on). */
function restOfString(stream: StringStream, state: TokenState, quote: string): string {
  let escaped = false;
  for (let next = stream.next(); next !== undefined; next = stream.next()) {
    if (next === quote && !escaped) {
      state.inString = undefined;
      return 'string';
    }
    escaped = !escaped && next === '\\';
  }
  state.inString = quote;
  return 'string';
}

/** Reads on to the end of a block comment (or of the line, where the comment goes on). */
function restOfComment(stream: StringStream, state: TokenState, close: string): string {
  state.inComment = !stream.skipTo(close);
  if (state.inComment) stream.skipToEnd();
  else stream.pos += close.length;
  return 'comment';
}

/** A CodeMirror 5-style tokenizer made from a Syntax's data. */
function streamParser(syntax: Syntax): StreamParser<TokenState> {
  const keywords = new Set(syntax.keywords);
  const literals = new Set(syntax.literals);
  const quotes = syntax.quotes ?? '';
  const [open, close] = syntax.blockComment ?? ['', ''];
  const { lineComment } = syntax;
  return {
    name: syntax.name.toLowerCase(),
    startState: () => ({ inComment: false, inString: undefined }),
    copyState: (state) => ({ ...state }),
    token(stream, state) {
      if (state.inString !== undefined) return restOfString(stream, state, state.inString);
      if (state.inComment) return restOfComment(stream, state, close);
      if (stream.eatSpace()) return null;
      // A `#` comment starts a word (Bash's `$#` is no comment).
      const wordStart = stream.pos === 0 || /\s/.test(stream.string.charAt(stream.pos - 1));
      if (lineComment && (lineComment !== '#' || wordStart) && stream.match(lineComment)) {
        stream.skipToEnd();
        return 'comment';
      }
      if (open && stream.match(open)) return restOfComment(stream, state, close);
      if (syntax.directives && stream.sol() && stream.match(/^#\s*\w+/)) return 'meta';
      const char = stream.peek() ?? '';
      if (quotes.includes(char)) {
        stream.next();
        return restOfString(stream, state, char);
      }
      if (syntax.dollarVariables && stream.match(/^\$(\{\w+\}|\w+)/)) return 'variableName.special';
      if (stream.match(/^(0x[\da-f]+|\d[\d_]*(\.\d+)?(e[+-]?\d+)?)/i)) return 'number';
      const word = stream.match(/^[A-Za-z_]\w*/) as RegExpMatchArray | null;
      if (word) return keywords.has(word[0]) ? 'keyword' : literals.has(word[0]) ? 'bool' : null;
      stream.next();
      return null;
    },
    languageData: {
      commentTokens: {
        ...(lineComment ? { line: lineComment } : {}),
        ...(syntax.blockComment ? { block: { open, close } } : {}),
      },
    },
  };
}

const languages = new Map<string, Extension>();

/** The editor's language extension for a GET /runtimes language (made once, then reused). */
export function languageExtension(language: string): Extension {
  const syntax = syntaxOf(language);
  if (syntax === PYTHON) return python();
  if (syntax === PLAIN) return [];
  let extension = languages.get(language);
  if (!extension) {
    extension = StreamLanguage.define(streamParser(syntax));
    languages.set(language, extension);
  }
  return extension;
}
