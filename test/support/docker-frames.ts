/** One frame of Docker's multiplexed attach stream: stream id (1 stdout, 2 stderr), length, payload. */
export function frame(stream: 1 | 2, payload: Buffer | string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}
