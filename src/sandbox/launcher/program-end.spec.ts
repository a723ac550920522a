import { describe, expect, it } from '@jest/globals';
import { ProgramEndScanner, programEndPrefix } from './program-end.js';

const PREFIX = programEndPrefix('cafe');

/** The longest tail of `bytes` that is a proper start of the prefix, found the slow way. */
function longestPrefixStartAtEnd(bytes: Buffer): number {
  for (let keep = Math.min(PREFIX.length - 1, bytes.length); keep > 0; keep--) {
    if (bytes.subarray(bytes.length - keep).equals(PREFIX.subarray(0, keep))) return keep;
  }
  return 0;
}

describe('ProgramEndScanner', () => {
  it('holds back exactly the longest tail that could start the report', () => {
    const pieces = ['a', '\x1e', '\x1eSCE', '\x1eSCE-END ca', '\x1eSCE-END cafe', 'SCE-END '];
    for (const first of pieces) {
      for (const second of pieces) {
        for (const third of pieces) {
          const bytes = Buffer.from(first + second + third, 'latin1');
          const scanner = new ProgramEndScanner(PREFIX);
          const output = scanner.feed(bytes);
          expect(bytes.length - output.length).toBe(longestPrefixStartAtEnd(bytes));
          expect(Buffer.concat([output, scanner.flush()])).toEqual(bytes);
        }
      }
    }
  });

  it('finds a report split at every byte, and passes what came before it through', () => {
    const stream = Buffer.from(
      'out\x1e\x1eSCE-END ca\x1eSCE-END cafe 7 0 exit 0 -1 -1\x1eafter',
      'latin1',
    );
    for (let cut = 0; cut <= stream.length; cut++) {
      const scanner = new ProgramEndScanner(PREFIX);
      const output = Buffer.concat([
        scanner.feed(stream.subarray(0, cut)),
        scanner.feed(stream.subarray(cut)),
      ]);
      expect(scanner.end).toEqual({
        exitCode: 7,
        oomKills: 0,
        ending: 'exit',
        compileMs: 0,
        cpuUs: -1,
        memoryPeakKb: -1,
      });
      expect(output.toString('latin1')).toBe('out\x1e\x1eSCE-END ca');
    }
  });

  it('refuses a prefix that holds the separator anywhere but first', () => {
    expect(() => new ProgramEndScanner(Buffer.from('\x1eSCE-END \x1e ', 'latin1'))).toThrow(
      /separator/,
    );
    expect(() => new ProgramEndScanner(Buffer.from('SCE-END ', 'latin1'))).toThrow(/separator/);
  });
});
