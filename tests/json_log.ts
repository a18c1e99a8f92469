/**
 * The JSON log lines of a child process (apigw logs one JSON object per line on stderr), parsed
 * into `into` as they arrive; a line that is not JSON is kept as `{ msg: line }`. Resolves when
 * the stream ends.
 */
export async function collectJsonLines(
  stream: ReadableStream<Uint8Array>,
  into: Record<string, unknown>[],
): Promise<void> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let end;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      try {
        into.push(JSON.parse(line));
      } catch {
        into.push({ msg: line });
      }
    }
  }
}
