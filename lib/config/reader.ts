// What the classic and YAML readers share: the builder they fill, the role of the file (the main
// configuration and its includes, a parsers file, a plugins file) and how they include others.
import type { ConfigBuilder } from './builder.js';
import type { FileOrigin } from './files.js';

export type FileRole = 'main' | 'parsers' | 'plugins';

export interface ReaderContext {
  readonly builder: ConfigBuilder;
  readonly role: FileRole;
  /** Read the file(s) `target` names, in the includer's format and role. */
  include(target: string, origin: FileOrigin): void;
}

/** Fluent Bit's whitespace for trimming keys and values (isspace). */
export function trimSpace(text: string): string {
  return text.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');
}
