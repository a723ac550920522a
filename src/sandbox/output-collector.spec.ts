import { describe, expect, it, jest } from '@jest/globals';
import { OutputCollector } from './output-collector.js';

/** One frame of Docker's multiplexed stream: [stream id, 0, 0, 0, size (BE u32)] + payload. */
function frame(stream: 1 | 2, payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

describe('OutputCollector', () => {
  it('separates stdout and stderr and merges them in arrival order', () => {
    const collector = new OutputCollector(1024, () => undefined);
    collector.write(Buffer.concat([frame(1, 'a\n'), frame(2, 'b\n'), frame(1, 'c\n')]));
    expect(collector.result()).toEqual({
      merged: 'a\nb\nc\n',
      stdout: 'a\nc\n',
      stderr: 'b\n',
      truncated: false,
    });
  });

  it('reassembles frames split at any byte, including inside headers', () => {
    const stream = Buffer.concat([frame(1, 'héllo '), frame(2, 'wörld'), frame(1, '😀')]);
    for (let cut = 1; cut < stream.length; cut++) {
      const collector = new OutputCollector(1024, () => undefined);
      collector.write(stream.subarray(0, cut));
      collector.write(stream.subarray(cut));
      expect(collector.result().merged).toBe('héllo wörld😀');
    }
  });

  it('keeps exactly the limit, reports truncation and calls onLimit once', () => {
    const onLimit = jest.fn();
    const collector = new OutputCollector(10, onLimit);
    collector.write(frame(1, '12345678'));
    collector.write(frame(2, 'abcdef'));
    collector.write(frame(1, 'more'));
    expect(onLimit).toHaveBeenCalledTimes(1);
    expect(collector.result()).toEqual({
      merged: '12345678ab',
      stdout: '12345678',
      stderr: 'ab',
      truncated: true,
    });
  });

  it('does not call onLimit for output of exactly the limit', () => {
    const onLimit = jest.fn();
    const collector = new OutputCollector(4, onLimit);
    collector.write(frame(1, 'abcd'));
    expect(onLimit).not.toHaveBeenCalled();
    expect(collector.result().truncated).toBe(false);
  });

  it('replaces invalid UTF-8 and keeps NUL bytes, so the answer is valid JSON', () => {
    const collector = new OutputCollector(1024, () => undefined);
    collector.write(frame(1, Buffer.from([0x61, 0xff, 0xfe, 0x00, 0x62])));
    const { stdout } = collector.result();
    expect(stdout).toBe('a\uFFFD\uFFFD\u0000b');
    expect(JSON.parse(JSON.stringify({ stdout }))).toEqual({ stdout });
  });

  it('decodes each stream on its own: bytes of the two streams never form one character', () => {
    const collector = new OutputCollector(1024, () => undefined);
    // e2 80 ae is U+202E (right-to-left override) when read as one sequence.
    collector.write(frame(1, Buffer.from([0xe2, 0x80])));
    collector.write(frame(2, Buffer.from([0xae])));
    expect(collector.result()).toEqual({
      merged: '\uFFFD\uFFFD',
      stdout: '\uFFFD',
      stderr: '\uFFFD',
      truncated: false,
    });
  });

  it('decodes a character split across writes of one stream, placed where it completes', () => {
    const collector = new OutputCollector(1024, () => undefined);
    collector.write(frame(1, Buffer.from([0x61, 0xe2, 0x80])));
    collector.write(frame(2, 'b'));
    collector.write(frame(1, Buffer.from([0xae, 0x63])));
    expect(collector.result()).toEqual({
      merged: 'ab\u202Ec',
      stdout: 'a\u202Ec',
      stderr: 'b',
      truncated: false,
    });
  });

  it('keeps a leading byte order mark of either stream', () => {
    const collector = new OutputCollector(1024, () => undefined);
    collector.write(frame(2, '\uFEFFerr'));
    collector.write(frame(1, '\uFEFFout'));
    expect(collector.result()).toEqual({
      merged: '\uFEFFerr\uFEFFout',
      stdout: '\uFEFFout',
      stderr: '\uFEFFerr',
      truncated: false,
    });
  });
});

const MARKER = 0x06;

describe('OutputCollector start marker', () => {
  it('takes the marker off the first stdout byte and records the start', () => {
    const collector = new OutputCollector(1024, () => undefined, MARKER);
    collector.write(frame(2, 'warning\n'));
    collector.write(frame(1, Buffer.from([MARKER, 0x34, 0x0a])));
    collector.write(frame(1, Buffer.from([MARKER])));
    expect(collector.programStarted).toBe(true);
    expect(collector.result()).toMatchObject({ stdout: '4\n\u0006', stderr: 'warning\n' });
  });

  it('reports no start when stdout never carried the marker', () => {
    const collector = new OutputCollector(1024, () => undefined, MARKER);
    collector.write(frame(2, 'launcher: no program received\n'));
    expect(collector.programStarted).toBe(false);
    expect(collector.result().stderr).toBe('launcher: no program received\n');
  });

  it('does not count the marker against the output limit', () => {
    let stopped = false;
    const collector = new OutputCollector(2, () => (stopped = true), MARKER);
    collector.write(frame(1, Buffer.from([MARKER, 0x61, 0x62])));
    expect(stopped).toBe(false);
    expect(collector.result()).toMatchObject({ stdout: 'ab', truncated: false });
  });

  it('keeps every byte when no marker is expected', () => {
    const collector = new OutputCollector(1024, () => undefined);
    collector.write(frame(1, Buffer.from([MARKER, 0x61])));
    expect(collector.programStarted).toBe(true);
    expect(collector.result().stdout).toBe('\u0006a');
  });
});

describe('OutputCollector end report', () => {
  const REPORT = (status: number, oom = 0) => `\x1eSCE-END cafe ${status} ${oom} exit 0 -1 -1\x1e`;

  it('resolves programEnded once both streams carry the report, split anywhere', async () => {
    const stdout = Buffer.from(`\u0006out\n${REPORT(3)}`);
    const stderr = Buffer.from(`err\n${REPORT(3)}`);
    for (let cut = 1; cut < stdout.length; cut++) {
      const collector = new OutputCollector(1024, () => undefined, 0x06, 'cafe');
      collector.write(frame(1, stdout.subarray(0, cut)));
      collector.write(frame(2, stderr));
      collector.write(frame(1, stdout.subarray(cut)));
      await expect(collector.programEnded).resolves.toEqual({
        exitCode: 3,
        oomKills: 0,
        ending: 'exit',
        compileMs: 0,
        cpuUs: -1,
        memoryPeakKb: -1,
      });
      expect(collector.result()).toMatchObject({ stdout: 'out\n', stderr: 'err\n' });
    }
  });

  it('drops what a leftover process writes after the report', () => {
    const collector = new OutputCollector(1024, () => undefined, undefined, 'cafe');
    collector.write(frame(1, `done\n${REPORT(0)}daemon noise`));
    collector.write(frame(1, 'more noise'));
    expect(collector.result().stdout).toBe('done\n');
  });

  it('treats a report with another token, or a broken one, as ordinary output', () => {
    const collector = new OutputCollector(1024, () => undefined, undefined, 'cafe');
    const text = `\x1eSCE-END beef 0 0\x1e|\x1eSCE-END cafe x\x1e|\x1eSCE-END ca`;
    collector.write(frame(1, text));
    expect(collector.result().stdout).toBe(text);
  });

  it('stops looking for the report once the output limit is passed', async () => {
    const collector = new OutputCollector(4, () => undefined, undefined, 'cafe');
    collector.write(frame(1, 'abcdef'));
    collector.write(frame(1, REPORT(0)));
    collector.write(frame(2, REPORT(0)));
    const pending = Symbol('pending');
    await expect(Promise.race([collector.programEnded, Promise.resolve(pending)])).resolves.toBe(
      pending,
    );
    expect(collector.result()).toMatchObject({ stdout: 'abcd', truncated: true });
  });

  it('does not count the report against the output limit', () => {
    let stopped = false;
    const collector = new OutputCollector(4, () => (stopped = true), undefined, 'cafe');
    collector.write(frame(1, `abcd${REPORT(0)}`));
    expect(stopped).toBe(false);
    expect(collector.result()).toMatchObject({ stdout: 'abcd', truncated: false });
  });
});
