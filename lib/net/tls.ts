// Fluent Bit's TLS properties (`tls`, `tls.verify`, `tls.ca_file`, ...) for any network plugin,
// turned into node:tls options. Files are read at start-up, so a wrong path is reported then,
// naming the property and the file.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConnectionOptions, PeerCertificate, TLSSocket, TlsOptions, checkServerIdentity } from 'node:tls';
import { LogwasmError, fileError } from '../errors.js';
import type { PropertySpec } from '../pipeline/plugin.js';

export const TLS_PROPERTIES: readonly PropertySpec[] = [
  { name: 'tls', type: 'bool', default: 'off', description: 'Use TLS.' },
  { name: 'tls.verify', type: 'bool', default: 'on', description: "Verify the peer's certificate (clients: the server's; servers: a client certificate, when one is sent)." },
  { name: 'tls.ca_file', type: 'string', description: 'PEM file of certificate authorities to trust.' },
  { name: 'tls.ca_path', type: 'string', description: 'Directory of PEM certificate authority files to trust.' },
  { name: 'tls.crt_file', type: 'string', description: 'PEM certificate (chain) to present.' },
  { name: 'tls.key_file', type: 'string', description: 'PEM private key of tls.crt_file.' },
  { name: 'tls.key_passwd', type: 'string', description: 'Passphrase of tls.key_file.' },
  { name: 'tls.vhost', type: 'string', description: 'Server name to send (SNI) and to verify, when it differs from the host.' },
  { name: 'tls.min_version', type: 'string', description: 'Lowest TLS version: TLSv1.2 or TLSv1.3.' },
  { name: 'tls.max_version', type: 'string', description: 'Highest TLS version: TLSv1.2 or TLSv1.3.' },
  { name: 'tls.ciphers', type: 'string', description: 'OpenSSL cipher list.' },
  { name: 'tls.debug', type: 'int', default: '1', honoured: false, description: 'OpenSSL debug level (logwasm logs TLS errors at its own log levels).' },
];

type Properties = Readonly<Record<string, unknown>>;

function text(properties: Properties, name: string): string | undefined {
  const value = properties[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function readPem(properties: Properties, name: string): Buffer | undefined {
  const file = text(properties, name);
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (error) {
    throw fileError(name, file, error);
  }
}

function version(properties: Properties, name: string): 'TLSv1.2' | 'TLSv1.3' | undefined {
  const value = text(properties, name);
  if (value === undefined) return undefined;
  const normal = value.replace(/^tlsv?/i, 'TLSv');
  if (normal !== 'TLSv1.2' && normal !== 'TLSv1.3') {
    throw new LogwasmError(`${name} '${value}' is not a TLS version logwasm accepts (TLSv1.2 or TLSv1.3)`, 'LOGWASM_ERR_ARGUMENT');
  }
  return normal;
}

function authorities(properties: Properties): Buffer[] | undefined {
  const list: Buffer[] = [];
  const file = readPem(properties, 'tls.ca_file');
  if (file) list.push(file);
  const dir = text(properties, 'tls.ca_path');
  if (dir !== undefined) {
    try {
      for (const name of readdirSync(dir).sort()) {
        const full = path.join(dir, name);
        if (statSync(full).isFile()) list.push(readFileSync(full));
      }
    } catch (error) {
      throw fileError('tls.ca_path', dir, error);
    }
  }
  return list.length > 0 ? list : undefined;
}

export function tlsEnabled(properties: Properties): boolean {
  return properties['tls'] === true;
}

/** node:tls mishandles some keys present with the value undefined: leave them out. */
function defined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T;
}

function common(properties: Properties) {
  return defined({
    ca: authorities(properties),
    cert: readPem(properties, 'tls.crt_file'),
    key: readPem(properties, 'tls.key_file'),
    passphrase: text(properties, 'tls.key_passwd'),
    minVersion: version(properties, 'tls.min_version'),
    maxVersion: version(properties, 'tls.max_version'),
    ciphers: text(properties, 'tls.ciphers'),
  });
}

/** node:tls server options; a server needs tls.crt_file and tls.key_file. A client certificate
 *  is asked for when tls.verify is on and authorities are configured; a client that sends one
 *  that does not verify is refused (see `refuseUnverifiedClient`), one that sends none is let in,
 *  as Fluent Bit does. */
export function serverTlsOptions(properties: Properties, id: string): TlsOptions {
  const options = common(properties);
  if (!options.cert || !options.key) {
    throw new LogwasmError(`${id}: tls is on but ${!options.cert ? 'tls.crt_file' : 'tls.key_file'} is not set (a TLS server needs a certificate and its key)`, 'LOGWASM_ERR_ARGUMENT');
  }
  const verify = properties['tls.verify'] !== false && options.ca !== undefined;
  return { ...options, requestCert: verify, rejectUnauthorized: false };
}

/** For a server socket: the reason (and the socket destroyed) when the client sent a certificate that
 *  does not verify against the configured authorities. */
export function refuseUnverifiedClient(socket: TLSSocket, options: TlsOptions): string | undefined {
  if (!options.requestCert) return undefined;
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0 || socket.authorized) return undefined;
  const reason = String(socket.authorizationError ?? 'unverified certificate');
  socket.destroy();
  return reason;
}

/** node:tls client options for connecting to `host`. */
export function clientTlsOptions(properties: Properties, host: string): ConnectionOptions {
  const options = common(properties);
  const vhost = text(properties, 'tls.vhost');
  const serverName = vhost ?? host;
  return defined({
    ...options,
    rejectUnauthorized: properties['tls.verify'] !== false,
    // SNI takes host names only, not addresses
    servername: /^[\d.]+$|:/.test(serverName) ? undefined : serverName,
    // node's own check, against tls.vhost rather than the host connected to
    checkServerIdentity: vhost !== undefined ? (_name: string, cert: PeerCertificate) => checkServerIdentity(vhost, cert) : undefined,
  });
}
