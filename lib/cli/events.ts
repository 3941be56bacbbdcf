// Events as the CLI prints them: one line [time, body] per event.
import { chunkToJsonEvents } from '../records/native-json.js';
import { Io } from './args.js';

/** `[time, body]` per event: time with nine decimals, the body as the filter's own JSON text
 *  (converted natively from the chunk's msgpack, so numbers print exactly). */
export function eventLines(chunk: Uint8Array, prefix = ''): string {
  let text = '';
  for (const event of chunkToJsonEvents(chunk)) text += `${prefix}[${event.time.toString()},${event.body}]\n`;
  return text;
}

export function writeEvents(io: Io, chunk: Uint8Array): void {
  const text = eventLines(chunk);
  if (text) io.stdout.write(text);
}

