/** A file the program left under out/, as a run's result carries it (see /docs). */
export interface OutputFile {
  /** Relative to out/; chosen by the program, so only ever shown as text. */
  name: string;
  /** Bytes. */
  size: number;
  /** `utf8` for valid UTF-8 text, else `base64`. */
  encoding: 'utf8' | 'base64';
  content: string;
}

/** The image types shown inline: raster formats, which cannot carry script. Never SVG. */
type InlineImageType = 'image/png' | 'image/jpeg' | 'image/gif';

/** What a file's name claims, and the first bytes every file of that type starts with. */
const INLINE_IMAGES: readonly {
  type: InlineImageType;
  extensions: readonly string[];
  signatures: readonly (readonly number[])[];
}[] = [
  {
    type: 'image/png',
    extensions: ['png'],
    signatures: [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  },
  { type: 'image/jpeg', extensions: ['jpg', 'jpeg'], signatures: [[0xff, 0xd8, 0xff]] },
  {
    type: 'image/gif',
    extensions: ['gif'],
    // GIF87a, GIF89a
    signatures: [
      [0x47, 0x49, 0x46, 0x38, 0x37, 0x61],
      [0x47, 0x49, 0x46, 0x38, 0x39, 0x61],
    ],
  },
];

/**
 * The type to show a file inline as: its name says PNG, JPEG or GIF and its bytes start as
 * that format does. Anything else (a text named fake.png, an SVG, a PNG named data.bin) is
 * only ever offered as a download.
 */
export function inlineImageType(name: string, bytes: Uint8Array): InlineImageType | undefined {
  const extension = /\.([^./]+)$/.exec(name)?.[1]?.toLowerCase();
  if (extension === undefined) return undefined;
  const claimed = INLINE_IMAGES.find((image) => image.extensions.includes(extension));
  const matches = claimed?.signatures.some((signature) =>
    signature.every((byte, index) => bytes[index] === byte),
  );
  return matches ? claimed?.type : undefined;
}

/** A size as people read it: "24 bytes", "18.3 KiB", "1.0 MiB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * A returned file's name and bytes; undefined for anything that is not a well-formed file
 * (the result comes from the network, so its shape is checked, not trusted).
 */
function readFile(value: unknown): { name: string; bytes: Uint8Array<ArrayBuffer> } | undefined {
  const file = value as Partial<OutputFile> | null;
  if (typeof file !== 'object' || file === null) return undefined;
  const { name, encoding, content } = file;
  if (typeof name !== 'string' || typeof content !== 'string') return undefined;
  if (encoding === 'utf8') return { name, bytes: new TextEncoder().encode(content) };
  if (encoding !== 'base64') return undefined;
  try {
    return { name, bytes: Uint8Array.from(atob(content), (character) => character.charCodeAt(0)) };
  } catch {
    return undefined; // not base64
  }
}

/**
 * The files of a run's result, under the output: PNG, JPEG and GIF whose bytes are what their
 * names say are shown as images, and every file is offered as a download with its name and
 * size. The bytes are handed to the browser as `blob:` URLs made here (no server round trip,
 * nothing of the program's in the page's markup): a download's blob is typed
 * application/octet-stream, so opening it never renders it (an SVG or HTML file would run its
 * script as a page of this origin). The URLs are revoked when the next run starts.
 */
export class OutputFiles {
  private urls: string[] = [];

  constructor(
    private readonly ui: {
      /** Hidden while there is nothing to show. */
      pane: HTMLElement;
      list: HTMLElement;
      /** Says that the service left some files out. */
      truncated: HTMLElement;
    },
  ) {}

  /** Empties the list and releases the last run's files. */
  clear(): void {
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls = [];
    this.ui.list.replaceChildren();
    this.ui.truncated.hidden = true;
    this.ui.pane.hidden = true;
  }

  /** A result's `files` and `filesTruncated`, checked here: they come from the network. */
  show(files: unknown, truncated: unknown): void {
    this.clear();
    const items: HTMLElement[] = [];
    for (const value of Array.isArray(files) ? (files as unknown[]) : []) {
      const file = readFile(value);
      if (file) items.push(this.item(file.name, file.bytes));
      else console.warn('a returned file could not be read', value);
    }
    this.ui.list.replaceChildren(...items);
    this.ui.truncated.hidden = truncated !== true;
    this.ui.pane.hidden = items.length === 0 && truncated !== true;
  }

  private item(name: string, bytes: Uint8Array<ArrayBuffer>): HTMLElement {
    const item = document.createElement('li');
    item.className = 'file';
    const imageType = inlineImageType(name, bytes);
    const link = this.downloadLink(name, bytes);
    if (imageType === undefined) {
      item.append(link, ' ', size(bytes.length));
      return item;
    }
    const figure = document.createElement('figure');
    const image = document.createElement('img');
    image.alt = name;
    image.src = this.url(new Blob([bytes], { type: imageType }));
    // Right signature, broken image: the download stays, the broken picture goes.
    image.addEventListener('error', () => image.remove());
    const caption = document.createElement('figcaption');
    caption.append(link, ' ', size(bytes.length));
    figure.append(image, caption);
    item.append(figure);
    return item;
  }

  private downloadLink(name: string, bytes: Uint8Array<ArrayBuffer>): HTMLAnchorElement {
    const link = document.createElement('a');
    link.className = 'file-link';
    link.download = name;
    link.href = this.url(new Blob([bytes], { type: 'application/octet-stream' }));
    link.textContent = name;
    // Named as what it does; the visible name is part of it (an attribute, never markup).
    link.setAttribute('aria-label', `Download ${name}`);
    return link;
  }

  private url(blob: Blob): string {
    const url = URL.createObjectURL(blob);
    this.urls.push(url);
    return url;
  }
}

function size(bytes: number): HTMLElement {
  const element = document.createElement('span');
  element.className = 'file-size';
  element.textContent = formatSize(bytes);
  return element;
}
