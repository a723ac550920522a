/**
 * The interactive WebSocket's protocol, in prose: OpenAPI cannot describe a WebSocket, so
 * Swagger shows this under GET /runs/interactive (src/interactive/ implements it).
 */
export const INTERACTIVE_PROTOCOL = [
  'A WebSocket (`ws://` or `wss://` this host `/runs/interactive`) for programs that read their input while they run. Every message is one JSON text frame.',
  '',
  '**Client → server.** First `{"type":"start","code":"...","stdin":"...","apiKey":"..."}`: the same fields and limits as POST /run (`stdin` optional: input given up front), within 10 s of connecting; `apiKey` is needed only when the server has API keys and the upgrade request carried none in `Authorization: Bearer` or `X-API-Key`. Then any number of `{"type":"stdin","data":"..."}` (what the program reads, as typed: send `\\n` to end a line), `{"type":"stdin_close"}` (end of input: the program reads end of file) and `{"type":"kill"}`.',
  '',
  '**Server → client.** `{"type":"started","id":"<run id>"}` once the run is accepted (it is also readable at GET /runs/{id}), then `{"type":"stdout","data":"..."}` and `{"type":"stderr","data":"..."}` as the program writes, and last `{"type":"result", ...}` (the run as GET /runs/{id} shows it: `status`, `result` with `output`, `exitCode`, `durationMs`, ...), after which the server closes the socket (code 1000).',
  '',
  '**Errors.** `{"type":"error","statusCode":400,"message":...}`, with the status POST /run would answer (400 invalid start, 401 key, 429 rate limit or too many live connections, 503 busy, with `retryAfter` in seconds when it applies). Before the run starts the server then closes the socket with code 4000 + statusCode (4400, 4401, 4429, 4503). After it started, a bad message (unknown type, stdin past MAX_STDIN_BYTES in all) gets an error and the run goes on; if the service loses the run’s events (its Redis is away), it sends an error, closes with 1011 and the run is killed.',
  '',
  '**Limits.** The run counts against the rate limit like POST /run; the socket against LIVE_STREAMS_PER_CLIENT; a frame may be at most BODY_LIMIT_BYTES (larger: closed with 1009). The time limit counts in wall time from the program’s start, waiting for input included. Closing the socket kills the program.',
].join('\n');
