import { describe, expect, it } from '@jest/globals';
import { OutputCollector } from './output-collector.js';

function frame(stream: 1 | 2, payload: Buffer | string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

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
