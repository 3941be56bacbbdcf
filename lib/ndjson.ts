// The CLI's input lines: a JSON object (the body; time = now), [time, body] or
// [[time, metadata], body], time in seconds (a fraction allowed). Read natively (C), so that
// 120.0 stays a float, 18446744073709551615 stays exact and the time keeps nine decimals.
import { EventTime } from './records/event-time.js';
import { LogEvent, decodeChunk } from './records/chunk.js';
import { chunkEntryFromJsonLine } from './records/native-json.js';

export { chunkEntryFromJsonLine };

/** The line as a plain-object event (numbers become JavaScript numbers; for exact bytes use
 *  chunkEntryFromJsonLine). */
export function eventFromJsonLine(line: string, now: () => EventTime = EventTime.now): LogEvent {
  return decodeChunk(chunkEntryFromJsonLine(line, now()))[0];
}
