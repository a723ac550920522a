/** What a piece of the console is: the program's output, the user's typed input, or a note of the page. */
export type ConsoleStream = 'stdout' | 'stderr' | 'stdin';

/**
 * The result's console: stdout, stderr and the echo of typed input, interleaved in the order
 * they happened, as a terminal shows them. Each piece is a span marked with its stream
 * (`data-stream`), so stderr is tinted and every stream can be read back on its own. Adjacent
 * pieces of one stream share a span, so a program that writes byte by byte does not make a
 * node per byte.
 */
export class OutputConsole {
  private last: { stream: ConsoleStream | 'note'; text: Text } | undefined;
  private printed = { stdout: '', stderr: '' };
  /** Whether the console's text ends a line (or is empty): notes start on a line of their own. */
  private atLineStart = true;

  constructor(private readonly element: HTMLElement) {}

  /** Everything the program wrote to each stream, as received. */
  get output(): { stdout: string; stderr: string } {
    return { ...this.printed };
  }

  get isEmpty(): boolean {
    return this.last === undefined;
  }

  clear(): void {
    this.element.replaceChildren();
    this.last = undefined;
    this.printed = { stdout: '', stderr: '' };
    this.atLineStart = true;
  }

  append(stream: ConsoleStream, text: string): void {
    if (text === '') return;
    if (stream !== 'stdin') this.printed[stream] += text;
    this.write(stream, text);
  }

  /** A remark of the page (end of input, refused input): on a line of its own. */
  note(text: string, kind: 'info' | 'error' = 'info'): void {
    this.write('note', `${this.atLineStart ? '' : '\n'}${text}\n`, kind);
  }

  private write(stream: ConsoleStream | 'note', text: string, noteKind?: string): void {
    const follow = this.isScrolledToEnd();
    this.atLineStart = text.endsWith('\n');
    if (this.last?.stream === stream && stream !== 'note') {
      this.last.text.appendData(text);
    } else {
      const span = document.createElement('span');
      if (stream === 'note') {
        span.className = 'console-note';
        span.dataset.kind = noteKind;
      } else {
        span.dataset.stream = stream;
      }
      const node = document.createTextNode(text);
      span.append(node);
      this.element.append(span);
      this.last = { stream, text: node };
    }
    // Keep the newest output in view, unless the user scrolled up to read.
    if (follow) this.element.scrollTop = this.element.scrollHeight;
  }

  private isScrolledToEnd(): boolean {
    const { scrollTop, scrollHeight, clientHeight } = this.element;
    return scrollHeight - scrollTop - clientHeight < 24;
  }
}
