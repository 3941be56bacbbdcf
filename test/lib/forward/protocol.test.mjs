// lib/forward's protocol layer on its own: framing a byte stream cut anywhere, the four event
// modes read from frames, entries checked in place, engine events rewritten as forward entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { FrameScanner, parseClientMessage, inflateEvents, toForwardEntries, checkEntries, encodePackedForward, createHelo, answerPing, parseHelo, createPing, checkPong } from '../../../dist/forward/index.js';
import { encode, decode, decodeMulti, eventTime, eventTimeParts, ExtData } from './helpers.mjs';

const entry = (time, record) => encode([time, record]);

test('FrameScanner finds every message of a stream cut at every byte boundary', () => {
  const messages = [
    encode(['app', [[eventTime(1700000000, 123456789), { a: 1, s: 'x'.repeat(300) }]]]),
    encode(['b', 1700000001, { nested: { list: [1, 2, [3, { k: new Uint8Array(70000) }]] } }]),
    encode({ ack: 'abc' }),
    encode(['c', new Uint8Array(5), { chunk: 'id' }]),
  ];
  const stream = Buffer.concat(messages);
  for (let cut = 0; cut <= stream.length; cut += cut < 400 ? 1 : 997) {
    const scanner = new FrameScanner();
    const found = [];
    let buffer = Buffer.alloc(0);
    for (const piece of [stream.subarray(0, cut), stream.subarray(cut)]) {
      buffer = Buffer.concat([buffer, piece]);
      for (;;) {
        const length = scanner.scan(buffer, buffer.length);
        if (length < 0) break;
        found.push(buffer.subarray(0, length));
        buffer = buffer.subarray(length);
      }
    }
    assert.equal(found.length, messages.length, `cut at ${cut}`);
    found.forEach((frame, i) => assert.ok(Buffer.from(messages[i]).equals(frame), `message ${i}, cut at ${cut}`));
  }
});

test('FrameScanner rejects the never-used byte 0xc1 and does not recurse on deep nesting', () => {
  assert.throws(() => new FrameScanner().scan(Buffer.from([0x92, 0xc1, 0x01]), 3), /0xc1/);
  const deep = Buffer.alloc(5000, 0x91); // 5000 nested one-item arrays, never closed
  assert.throws(() => new FrameScanner().scan(deep, deep.length), /nests deeper/);
});

test('Message mode: [tag, time, record, option] with integer, float and EventTime times, bytes kept', () => {
  for (const time of [1700000000, 1700000000.5, eventTime(1700000000, 999999999)]) {
    const record = { int: -5, big: 2n ** 63n - 1n, f32: 1.5, str: 'é', bin: new Uint8Array([0, 1]), nil: null, t: true };
    const frame = encode(['tag.a', time, record, { chunk: 'c1' }], { useBigInt64: true });
    const message = parseClientMessage(frame);
    assert.equal(message.mode, 'message');
    assert.equal(message.tag, 'tag.a');
    assert.equal(message.records, 1);
    assert.equal(message.option.chunk, 'c1');
    assert.ok(Buffer.from(message.events).equals(Buffer.from(encode([time, record], { useBigInt64: true }))));
  }
});

test('Forward mode keeps [[time, metadata], record] entries and the entries bytes as sent', () => {
  const entries = [entry(eventTime(1, 2), { a: 1 }), encode([[eventTime(3, 4), { otlp: { k: 1 } }], { b: 2 }])];
  const frame = Buffer.concat([Buffer.from([0x93, 0xa1, 0x74, 0x92]), ...entries, encode({ size: 2 })]);
  const message = parseClientMessage(frame);
  assert.equal(message.mode, 'forward');
  assert.equal(message.records, 2);
  assert.ok(Buffer.from(message.events).equals(Buffer.concat(entries)));
});

test('PackedForward (bin and str) and CompressedPackedForward with concatenated gzip members', async () => {
  const entries = Buffer.concat([entry(eventTime(10, 1), { n: 1 }), entry(11, { n: 2 }), entry(12.25, { n: 3 })]);
  const bin = parseClientMessage(encode(['p', entries]));
  assert.deepEqual([bin.mode, bin.records], ['packed', 3]);
  assert.ok(Buffer.from(bin.events).equals(entries));
  const asStr = Buffer.concat([Buffer.from([0x92, 0xa1, 0x70, 0xdb]), Buffer.alloc(4), entries]);
  asStr.writeUInt32BE(entries.length, 4);
  assert.equal(parseClientMessage(asStr).records, 3);
  const gz = Buffer.concat([gzipSync(entries.subarray(0, 20)), gzipSync(entries.subarray(20))]);
  const compressed = parseClientMessage(encode(['p', gz, { compressed: 'gzip', size: 3 }]));
  assert.equal(compressed.mode, 'compressed');
  const inflated = await inflateEvents(compressed, 1 << 20);
  assert.equal(inflated.records, 3);
  assert.ok(Buffer.from(inflated.events).equals(entries));
  await assert.rejects(inflateEvents(compressed, 10), /inflate to more than 10 bytes/);
  await assert.rejects(inflateEvents(parseClientMessage(encode(['p', Buffer.from('not gzip'), { compressed: 'gzip' }])), 1000), /cannot be inflated/);
});

test('invalid entries are left out and counted, the valid ones kept', () => {
  const good = entry(1, { a: 1 });
  const stream = Buffer.concat([good, encode(['not-a-time', { a: 2 }]), encode([2, 'not-a-map']), good]);
  const checked = checkEntries(stream, 0, stream.length);
  assert.equal(checked.records, 2);
  assert.equal(checked.invalid, 2);
  assert.match(checked.problem, /entry 1: .*time/);
  assert.ok(Buffer.from(checked.events).equals(Buffer.concat([good, good])));
  assert.throws(() => checkEntries(stream, 0, stream.length - 1), /truncated/);
});

test('engine events become forward entries: EventTime (or integers), metadata dropped or kept, group markers left out', () => {
  const chunk = Buffer.concat([
    encode([[eventTime(5, 6), { m: 1 }], { a: 1 }]),
    encode([7.5, { b: 2 }]),
    encode([[-1, { resource: {} }], {}]),
    encode([[8, {}], { c: 3 }]),
  ]);
  const plain = [...decodeMulti(toForwardEntries(chunk).entries)];
  assert.equal(plain.length, 3);
  assert.deepEqual(plain.map(([t]) => eventTimeParts(t)), [{ seconds: 5, nanoseconds: 6 }, { seconds: 7, nanoseconds: 500000000 }, { seconds: 8, nanoseconds: 0 }]);
  assert.deepEqual(plain.map(([, r]) => r), [{ a: 1 }, { b: 2 }, { c: 3 }]);
  const integers = [...decodeMulti(toForwardEntries(chunk, { timeAsInteger: true }).entries)];
  assert.deepEqual(integers.map(([t]) => t), [5, 7, 8]);
  const kept = [...decodeMulti(toForwardEntries(chunk, { retainMetadata: true }).entries)];
  assert.deepEqual(kept[0][0][1], { m: 1 });
  assert.deepEqual(eventTimeParts(kept[0][0][0]), { seconds: 5, nanoseconds: 6 });
});

test('PackedForward message encoding reads back as [tag, bin, option]', () => {
  const entries = toForwardEntries(encode([[eventTime(1, 2), {}], { x: 'y' }])).entries;
  const message = decode(Buffer.concat(encodePackedForward('t'.repeat(40), entries, { size: 1, chunk: 'abc' })));
  assert.equal(message[0], 't'.repeat(40));
  assert.ok(message[1] instanceof Uint8Array);
  assert.deepEqual(message[2], { size: 1, chunk: 'abc' });
});

test('handshake: the right key passes both ways, a wrong key or password is refused', () => {
  const server = { sharedKey: 'secret', selfHostname: 'aggregator', users: new Map([['alice', 'pw']]) };
  const run = (client) => {
    const state = createHelo(server);
    const helo = parseHelo(state.helo);
    const ping = createPing(client, helo);
    const answer = answerPing(server, state, parseClientMessage(ping.ping));
    return { answer, check: () => checkPong(client, helo, ping, answer.pong) };
  };
  const ok = run({ sharedKey: 'secret', selfHostname: 'edge', username: 'alice', password: 'pw' });
  assert.equal(ok.answer.ok, true);
  assert.deepEqual(ok.check(), { serverHostname: 'aggregator' });
  const wrongKey = run({ sharedKey: 'guess', selfHostname: 'edge', username: 'alice', password: 'pw' });
  assert.equal(wrongKey.answer.ok, false);
  assert.throws(wrongKey.check, /refused the handshake: shared_key mismatch/);
  const wrongPassword = run({ sharedKey: 'secret', selfHostname: 'edge', username: 'alice', password: 'no' });
  assert.equal(wrongPassword.answer.reason, 'username/password mismatch');
});
