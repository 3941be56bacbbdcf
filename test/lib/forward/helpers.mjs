// Shared by the forward tests: fake engine contexts (the plugin contract of
// lib/pipeline/plugin.ts, with properties converted the way the engine converts them), a raw
// forward client written from the protocol specification, and throwaway TLS certificates.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { encode, decode, decodeMulti, ExtData } from '@msgpack/msgpack';

const UNITS = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

function convert(type, text) {
  switch (type) {
    case 'int': return Number.parseInt(text, 10);
    case 'double': case 'time': return Number.parseFloat(text);
    case 'bool': return /^(on|true|yes|1)$/i.test(text);
    case 'size': {
      const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(String(text));
      return Math.round(Number(match[1]) * (UNITS[match[2].toLowerCase()] ?? 1));
    }
    case 'slist': return String(text).split(/\s+/).filter(Boolean);
    case 'clist': return String(text).split(',').map((s) => s.trim());
    default: return text;
  }
}

/** The plugin's defaults, converted, with `given` (raw text, as in a config) applied over them. */
export function propertiesOf(plugin, given = {}) {
  const properties = {};
  for (const spec of plugin.properties) if (spec.default !== undefined) properties[spec.name] = convert(spec.type, spec.default);
  for (const [name, value] of Object.entries(given)) {
    const spec = plugin.properties.find((s) => s.name === name);
    if (!spec) { properties[name] = value; continue; }
    properties[name] = spec.multiple ? [].concat(value).map((v) => convert(spec.type, v)) : convert(spec.type, value);
  }
  return properties;
}

export function fakeLog() {
  const lines = [];
  const at = (level) => (message) => lines.push(`[${level}] ${message}`);
  return { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

/** An InputContext whose append() records what it got; `accept(tag, events, records)` may
 *  return a promise (slow engine) or throw (refused). */
export function fakeInputContext(plugin, given = {}, accept) {
  const appended = [];
  const controller = new AbortController();
  const log = fakeLog();
  const context = {
    id: 'forward.0', properties: propertiesOf(plugin, given), log, signal: controller.signal, tag: 'forward.0', paused: false,
    async append(tag, events, records) {
      if (accept) await accept(tag, events, records);
      appended.push({ tag, events: Buffer.from(events), records });
    },
  };
  return { context, appended, log, controller };
}

export function fakeOutputContext(plugin, given = {}) {
  const log = fakeLog();
  return { context: { id: 'forward.1', properties: propertiesOf(plugin, given), log, signal: new AbortController().signal }, log };
}

/** Every entry appended, decoded: { tag, time, record, metadata }. */
export function appendedEntries(appended, { bigint = false } = {}) {
  const out = [];
  for (const { tag, events } of appended) {
    for (const entry of decodeMulti(events, { useBigInt64: bigint })) {
      const [head, record] = entry;
      if (Array.isArray(head)) out.push({ tag, time: head[0], metadata: head[1], record });
      else out.push({ tag, time: head, record });
    }
  }
  return out;
}

export function eventTime(seconds, nanoseconds) {
  const data = new Uint8Array(8);
  const view = new DataView(data.buffer);
  view.setUint32(0, seconds);
  view.setUint32(4, nanoseconds);
  return new ExtData(0, data);
}

export function eventTimeParts(ext) {
  if (!(ext instanceof ExtData) || ext.type !== 0) return undefined;
  const view = new DataView(ext.data.buffer, ext.data.byteOffset, 8);
  return { seconds: view.getUint32(0), nanoseconds: view.getUint32(4) };
}

/** A raw forward client: writes bytes, reads msgpack answers. */
export async function rawClient(endpoint) {
  const socket = net.connect('path' in endpoint ? { path: endpoint.path } : { host: endpoint.host === '0.0.0.0' ? '127.0.0.1' : endpoint.host, port: endpoint.port });
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  return clientOver(socket);
}

export function clientOver(socket) {
  let pending = Buffer.alloc(0);
  const frames = [];
  const waiters = [];
  let closed = false;
  socket.on('data', (data) => {
    pending = Buffer.concat([pending, data]);
    for (;;) {
      let value, used;
      try {
        // find the end of one object: decodeMulti stops at the first incomplete one
        const it = decodeMulti(pending);
        const first = it.next();
        if (first.done) break;
        value = first.value;
        used = encode(value).length; // our peers send canonical msgpack for answers
      } catch { break; }
      pending = pending.subarray(used);
      if (waiters.length) waiters.shift()(value); else frames.push(value);
    }
  });
  socket.on('close', () => { closed = true; while (waiters.length) waiters.shift()(undefined); });
  socket.on('error', () => {});
  return {
    socket,
    write: (bytes) => new Promise((resolve) => socket.write(bytes, resolve)),
    send: (value) => new Promise((resolve) => socket.write(encode(value), resolve)),
    /** The next answer, or undefined if the connection closed / nothing came in `ms`. */
    next(ms = 5000) {
      if (frames.length) return Promise.resolve(frames.shift());
      if (closed) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const timer = setTimeout(() => { const i = waiters.indexOf(done); if (i >= 0) waiters.splice(i, 1); resolve(undefined); }, ms);
        const done = (v) => { clearTimeout(timer); resolve(v); };
        waiters.push(done);
      });
    },
    closed: () => closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', resolve)),
    end: () => socket.end(),
  };
}

export function tempDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'logwasm-forward-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A CA and a server certificate for 127.0.0.1/localhost, made with the openssl CLI;
 *  undefined (with the reason) when openssl is missing. */
export function makeCertificates(dir) {
  if (spawnSync('openssl', ['version']).status !== 0) return { missing: 'openssl is not installed (apt-get install openssl)' };
  const file = (name) => path.join(dir, name);
  const run = (...args) => execFileSync('openssl', args, { stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', '/CN=logwasm test CA');
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost');
  run('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.crt'), '-days', '2', '-extfile', file('server.ext'));
  return { ca: file('ca.crt'), cert: file('server.crt'), key: file('server.key') };
}

export async function waitFor(predicate, ms = 10000, what = 'condition') {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export { encode, decode, decodeMulti, ExtData };
