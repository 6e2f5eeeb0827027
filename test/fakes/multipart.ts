// Minimal multipart/form-data parser for fully buffered bodies (the fake reads the whole
// chunked request before handling it, so no streaming parser is needed).

export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  /** The part's own Content-Length header, when it has one. */
  contentLength?: string;
  data: Buffer;
}

export function multipartBoundary(contentType: string | undefined): string | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  return match?.[1] ?? match?.[2];
}

export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const afterDelimiter = start + delimiter.length;
    // `--boundary--` closes the body.
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
    const headerStart = afterDelimiter + 2; // skip CRLF
    const headerEnd = body.indexOf('\r\n\r\n', headerStart);
    if (headerEnd === -1) throw new Error('multipart part without header terminator');
    const next = body.indexOf(delimiter, headerEnd + 4);
    if (next === -1) throw new Error('multipart body without closing boundary');
    const headers = parseHeaders(body.subarray(headerStart, headerEnd).toString('utf8'));
    const disposition = headers['content-disposition'] ?? '';
    const name = /\bname="([^"]*)"/.exec(disposition)?.[1];
    if (name === undefined) throw new Error(`multipart part without a name: ${disposition}`);
    const filename = /\bfilename="([^"]*)"/.exec(disposition)?.[1];
    parts.push({
      name,
      ...(filename === undefined ? {} : { filename }),
      ...(headers['content-type'] === undefined ? {} : { contentType: headers['content-type'] }),
      ...(headers['content-length'] === undefined ? {} : { contentLength: headers['content-length'] }),
      // The CRLF before the next delimiter belongs to the framing, not the data.
      data: body.subarray(headerEnd + 4, next - 2),
    });
    start = next;
  }
  return parts;
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}
