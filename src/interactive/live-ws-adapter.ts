import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { WebSocket, WebSocketServer } from 'ws';

/**
 * Nest's `ws` adapter with two changes for a public socket: no frame larger than `maxPayload`
 * bytes is read (ws closes the connection with 1009), and a client's protocol errors (an
 * oversized or malformed frame) are not logged as the server's errors, so a client cannot flood
 * the logs. The server's own errors still are.
 */
export class LiveWsAdapter extends WsAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly maxPayload: number,
  ) {
    super(app);
  }

  override create(port: number, options?: Record<string, unknown>): WebSocketServer {
    return super.create(port, { ...options, maxPayload: this.maxPayload }) as WebSocketServer;
  }

  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    server.on('connection', (socket: WebSocket) => socket.on('error', () => undefined));
    server.on('error', (error: Error) => this.logger.error(error));
    return server;
  }
}
