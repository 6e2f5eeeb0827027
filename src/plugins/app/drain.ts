import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

interface DrainOptions {
  /** How long requests in flight at close() may keep running before their model calls are stopped. */
  graceMs: number;
  /** Ends every model call still waiting; their requests then answer 503 `shutting_down`. */
  stopModelCalls: () => void;
}

/**
 * At close(): requests already running get `graceMs` to finish, then their model calls are stopped so
 * that each still gets an answer (503) before the process exits; requests arriving on open keep-alive
 * connections get 503 at once. Responses sent after close() began carry `Connection: close`: without it
 * the connection goes back to the client's keep-alive pool, the server waits for the client to drop it
 * (up to keepAliveTimeout), and shutdown stalls until the hard stop.
 */
export default fp(
  async (app: FastifyInstance, { graceMs, stopModelCalls }: DrainOptions) => {
    let closing = false;
    let stopTimer: NodeJS.Timeout | undefined;
    app.addHook('preClose', async () => {
      closing = true;
      stopTimer = setTimeout(stopModelCalls, graceMs);
      stopTimer.unref();
    });
    app.addHook('onClose', async () => clearTimeout(stopTimer));
    app.addHook('onRequest', async (_request, reply) => {
      if (closing) {
        return reply.code(503).send({ error: 'shutting_down', message: 'the server is shutting down; retry the request' });
      }
    });
    app.addHook('onSend', async (_request, reply, payload) => {
      if (closing) reply.header('connection', 'close');
      return payload;
    });
  },
  { name: 'drain' },
);
