import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';

/**
 * A TCP server that records the first byte of every connection, then drops it: enough to tell whether a
 * client spoke TLS (0x16, the handshake record of a ClientHello) without running a TLS server.
 */
export async function startFirstByteServer(): Promise<{ port: number; firstBytes: number[]; close: () => void }> {
  const firstBytes: number[] = [];
  const server = createServer((socket) =>
    socket.once('data', (data: Buffer) => {
      firstBytes.push(data[0] as number);
      socket.destroy();
    }),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, firstBytes, close: () => void server.close() };
}
