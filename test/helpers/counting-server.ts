import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Starts `server` on a loopback port and counts the connections it accepted and those still open. Idle
 * sockets stay open until the client closes them, so a client's keep-alive and its close are both seen.
 */
export async function listenCountingConnections(server: Server): Promise<{ base: string; connections: { opened: number; open: number } }> {
  const connections = { opened: 0, open: 0 };
  server.on('connection', (socket) => {
    connections.opened += 1;
    connections.open += 1;
    socket.on('close', () => (connections.open -= 1));
  });
  server.keepAliveTimeout = 600_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections };
}
