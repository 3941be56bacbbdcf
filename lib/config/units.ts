// Fluent Bit value syntaxes: sizes with units, booleans, comma lists.

const SIZE = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgG][bB]?)?\s*$/;
const FACTORS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "8192", "64K", "64KB", "1M", "1.5M", "2G" (1024-based, case-insensitive) to bytes; null if
 *  the text is not a size. */
export function parseSize(text: string | number): number | null {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? Math.floor(text) : null;
  const match = SIZE.exec(text);
  if (!match) return null;
  const factor = match[2] ? FACTORS[match[2][0].toLowerCase()] : 1;
  return Math.floor(Number(match[1]) * factor);
}

/** on/off, true/false, yes/no (case-insensitive), as Fluent Bit's flb_utils_bool; null if not. */
export function parseBool(text: string | boolean): boolean | null {
  if (typeof text === 'boolean') return text;
  const word = text.trim().toLowerCase();
  if (word === 'on' || word === 'true' || word === 'yes') return true;
  if (word === 'off' || word === 'false' || word === 'no') return false;
  return null;
}

/** A comma-separated list, entries trimmed, empty entries dropped. */
export function parseList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
