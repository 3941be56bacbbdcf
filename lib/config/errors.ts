// A configuration problem, located: "fluent-bit.conf:12: key 'Match' has no value; write 'Match *'".
import { LogwasmError } from '../errors.js';

export class ConfigError extends LogwasmError {
  declare readonly code: 'LOGWASM_ERR_CONFIG';
  /** What is wrong, without the location (the message adds `file:line: ` and the hint). */
  readonly detail: string;
  /** The file as the user named it (or as an @INCLUDE / includes entry resolved it). */
  readonly file: string;
  /** 1-based; 0 when the problem is the file as a whole (missing, unreadable, too large). */
  readonly line: number;
  /** The key or command involved, when there is one. */
  readonly key?: string;
  /** What to do about it. */
  readonly hint?: string;

  constructor(detail: string, file: string, line: number, key?: string, hint?: string) {
    super(`${file}:${line}: ${detail}${hint ? `; ${hint}` : ''}`, 'LOGWASM_ERR_CONFIG');
    this.name = 'ConfigError';
    this.detail = detail;
    this.file = file;
    this.line = line;
    this.key = key;
    this.hint = hint;
  }
}

/** Text from a configuration file shown inside a message: quoted, at most `max` characters,
 *  control characters and invalid bytes escaped, so a binary file is never echoed raw. */
export function excerpt(text: string, max = 60): string {
  let out = '';
  let shown = 0;
  for (const char of text) {
    if (shown === max) {
      out += '…';
      break;
    }
    const code = char.codePointAt(0)!;
    if (char === "'") out += "\\'";
    else if (char === '\\') out += '\\\\';
    else if (char === '\t') out += '\\t';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code === 0xfffd || (code >= 0xd800 && code <= 0xdfff)) out += '\\ufffd'; // a byte that is not UTF-8
    else out += char;
    shown++;
  }
  return `'${out}'`;
}
