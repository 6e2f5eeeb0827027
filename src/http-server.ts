import type { Socket } from 'node:net';
import type { Server } from 'node:http';
import type { FastifyHttpOptions } from 'fastify';
import type { Config } from './config/index.js';

// What Node's HTTP parser refuses never reaches a route; it still gets the API's {error, message} shape.
const clientErrors: Record<string, { status: number; reason: string; error: string; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', error: 'request_timeout', message: 'the request was not received in time' },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    error: 'headers_too_large',
    message: 'the request headers exceed the size the server accepts',
  },
};
const malformed = { status: 400, reason: 'Bad Request', error: 'malformed_request', message: 'the HTTP request could not be parsed' };

export function clientErrorHandler(error: Error & { code?: string }, socket: Socket) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, reason, error: code, message } = clientErrors[error.code ?? ''] ?? malformed;
  const body = JSON.stringify({ error: code, message });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/**
 * Listener limits for an API behind a reverse proxy: slow clients get HEADERS_TIMEOUT_MS for the
 * headers and REQUEST_TIMEOUT_MS for the whole request, while an idle socket waiting on the model is kept
 * past the model's own deadline so that the answer can still be written.
 */
export function httpServerOptions(config: Config): FastifyHttpOptions<Server> {
  return {
    trustProxy: trustProxy(config.security.trustProxy),
    bodyLimit: config.security.bodyLimitBytes,
    http: {
      headersTimeout: config.http.headersTimeoutMs,
      requestTimeout: config.http.requestTimeoutMs,
      // Node checks those two timeouts on this interval (30 s by default), which would let a slow client overstay.
      connectionsCheckingInterval: 1000,
    },
    requestTimeout: config.http.requestTimeoutMs,
    connectionTimeout: config.llm.deadlineMs + 10_000,
    keepAliveTimeout: 72_000,
    // The drain plugin answers those 503s, in the API's error shape.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    clientErrorHandler,
  };
}

// Fastify takes a hop count at run time but not in its types; this is the function it would build.
const trustProxy = (setting: Config['security']['trustProxy']) =>
  typeof setting === 'number' ? (_address: string, hop: number) => hop < setting : setting;
