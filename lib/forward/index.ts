// The Forward protocol v1 (Fluentd and Fluent Bit): framing, messages, handshake, both ends.
export { ForwardProtocolError, FrameScanner, MsgpackCursor, readHeader, skipObject } from './msgpack-scan.js';
export { checkEntries, readTime, toForwardEntries, EVENT_TIME_EXT, type CheckedEntries, type ToForwardOptions } from './entries.js';
export { parseClientMessage, inflateEvents, encodeAck, parseAck, encodePackedForward, type ClientMessage, type EventsMessage, type PingMessage, type ForwardOption, type ForwardMode } from './messages.js';
export { createHelo, answerPing, parseHelo, createPing, checkPong, type ServerAuth, type ClientAuth } from './handshake.js';
export { ForwardReceiver, type ReceiverOptions, type ReceiverCounters } from './receiver.js';
export { ForwardSender, type SenderOptions } from './sender.js';
export { readUpstreamFile, upstreamNodes, type UpstreamNode } from './upstream.js';
