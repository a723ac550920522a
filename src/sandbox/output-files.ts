import { TextDecoder } from 'node:util';
import type { ReturnedFiles } from './launcher/program-end.js';
import type { OutputFile } from './run-result.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The launcher's files of out/ as the API returns them: text as text, anything else base64. */
export function toOutputFiles(returned: ReturnedFiles | undefined): {
  files?: OutputFile[];
  filesTruncated?: boolean;
} {
  if (!returned) return {};
  return {
    files: returned.files.map(({ name, data }) => {
      const text = utf8Text(data);
      return text === undefined
        ? { name, size: data.length, encoding: 'base64', content: data.toString('base64') }
        : { name, size: data.length, encoding: 'utf8', content: text };
    }),
    filesTruncated: returned.truncated,
  };
}

/** The text of valid UTF-8 without NUL characters; undefined for anything else. */
function utf8Text(data: Buffer): string | undefined {
  if (data.includes(0)) return undefined;
  try {
    return strictUtf8.decode(data);
  } catch {
    return undefined;
  }
}
