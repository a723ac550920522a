import { type OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { InteractiveSessions } from './interactive-sessions.js';

/** Where the interactive WebSocket listens (the protocol: execution/interactive-protocol.docs.ts). */
export const INTERACTIVE_PATH = '/runs/interactive';

/**
 * The interactive WebSocket, on the HTTP server's own port (the `ws` adapter, LiveWsAdapter).
 * The protocol's messages carry a `type`, not Nest's `{event, data}`, so each connection is
 * handed whole to an InteractiveSession instead of @SubscribeMessage handlers.
 */
@WebSocketGateway({ path: INTERACTIVE_PATH })
export class InteractiveGateway implements OnGatewayConnection {
  constructor(private readonly sessions: InteractiveSessions) {}

  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    this.sessions.open(socket, request);
  }
}
