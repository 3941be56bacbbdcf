// as_filter: a JSON-mode Fluent Bit filter in AssemblyScript.
//
// For tag "dummy.local", time 1666270588.271704000 and {"message":"dummy"}:
//   {"lang":"AssemblyScript","tag":"dummy.local","time":"1666270588.271704000","record_bytes":19,"original":{"message":"dummy"}}
// A record that is not a JSON object (first non-blank byte is not "{")
// gives NULL, which drops it.
//
// The module exports malloc/free (backed by AssemblyScript's own allocator)
// so the host copies tag and record with them; the result goes to one buffer
// owned by the module, reused for every record and NUL-terminated. Nothing
// here allocates managed objects (the string literals live in the data
// segment), so no garbage collector is involved.

let resultBuffer: usize = 0;
let resultCapacity: usize = 0;
let resultLength: usize = 0;

function reserve(extra: usize): void {
  const needed = resultLength + extra;
  if (needed <= resultCapacity) return;
  let capacity = resultCapacity < 256 ? <usize>256 : resultCapacity * 2;
  if (capacity < needed) capacity = needed;
  resultBuffer = resultBuffer == 0 ? heap.alloc(capacity) : heap.realloc(resultBuffer, capacity);
  resultCapacity = capacity;
}

function putByte(byte: u32): void {
  reserve(1);
  store<u8>(resultBuffer + resultLength, <u8>byte);
  resultLength++;
}

// ASCII text only (every literal below is ASCII).
function putAscii(text: string): void {
  const length = text.length;
  reserve(<usize>length);
  for (let i = 0; i < length; i++) {
    store<u8>(resultBuffer + resultLength + <usize>i, <u8>text.charCodeAt(i));
  }
  resultLength += <usize>length;
}

// Decimal digits of value, left-padded with zeros to at least minDigits.
function putUnsigned(value: u32, minDigits: i32): void {
  let digits: i32 = 1;
  for (let rest = value / 10; rest > 0; rest /= 10) digits++;
  if (digits < minDigits) digits = minDigits;
  reserve(<usize>digits);
  for (let i = digits - 1; i >= 0; i--) {
    store<u8>(resultBuffer + resultLength + <usize>i, <u8>(48 + value % 10));
    value /= 10;
  }
  resultLength += <usize>digits;
}

function hexDigit(nibble: u32): u32 {
  return nibble < 10 ? 48 + nibble : 87 + nibble; // 0-9, a-f
}

// A JSON string body: quotes and backslashes escaped, control bytes as
// \u00xx, everything else (including UTF-8 sequences) copied.
function putEscaped(bytes: usize, length: usize): void {
  for (let i: usize = 0; i < length; i++) {
    const byte = <u32>load<u8>(bytes + i);
    if (byte == 34 || byte == 92) {
      putByte(92);
      putByte(byte);
    } else if (byte < 0x20) {
      putAscii("\\u00");
      putByte(hexDigit(byte >> 4));
      putByte(hexDigit(byte & 15));
    } else {
      putByte(byte);
    }
  }
}

function putRaw(bytes: usize, length: usize): void {
  reserve(length);
  memory.copy(resultBuffer + resultLength, bytes, length);
  resultLength += length;
}

function isJsonObject(record: usize, length: usize): bool {
  for (let i: usize = 0; i < length; i++) {
    const byte = load<u8>(record + i);
    if (byte == 32 || byte == 9 || byte == 10 || byte == 13) continue;
    return byte == 123; // "{"
  }
  return false;
}

export function as_filter(tag: usize, tagLength: i32, seconds: u32, nanoseconds: u32,
                          record: usize, recordLength: i32): usize {
  if (tagLength < 0 || recordLength < 0 || !isJsonObject(record, <usize>recordLength)) return 0;
  resultLength = 0;
  putAscii('{"lang":"AssemblyScript","tag":"');
  putEscaped(tag, <usize>tagLength);
  putAscii('","time":"');
  putUnsigned(seconds, 1);
  putByte(46); // "."
  putUnsigned(nanoseconds, 9);
  putAscii('","record_bytes":');
  putUnsigned(<u32>recordLength, 1);
  putAscii(',"original":');
  putRaw(record, <usize>recordLength);
  putByte(125); // "}"
  putByte(0);
  return resultBuffer;
}

// The host allocates its copies of tag and record with these.
export function malloc(size: usize): usize {
  return heap.alloc(size);
}

export function free(pointer: usize): void {
  if (pointer != 0) heap.free(pointer);
}

// Replaces the imported env.abort, so the module has no imports at all: a
// failed internal assertion traps.
function abortFilter(message: usize, fileName: usize, line: u32, column: u32): void {
  unreachable();
}
