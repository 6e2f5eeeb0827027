import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Responses sent after close() began carry `Connection: close`. Without it the connection of a request
 * that was in flight at SIGTERM goes back to the client's keep-alive pool, the server waits for the
 * client to drop it (up to keepAliveTimeout), and shutdown stalls until the hard stop.
 */
export default fp(
  async (app: FastifyInstance) => {
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    app.addHook('onSend', async (_request, reply, payload) => {
      if (closing) reply.header('connection', 'close');
      return payload;
    });
  },
  { name: 'drain' },
);
