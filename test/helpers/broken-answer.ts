import type { ServerResponse } from 'node:http';

/**
 * Answers `status` with its headers and the first bytes of a longer body, then drops the connection: the
 * client's response breaks off mid-body, as when the upstream crashes or a proxy gives up on it.
 */
export function answerThenBreakOff(response: ServerResponse, status: number): void {
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': '100' });
  response.write('{"partial":', () => response.socket?.destroy());
}
