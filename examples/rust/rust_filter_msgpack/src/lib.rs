//! rust_filter_msgpack: a msgpack-mode Fluent Bit filter (fluent-bit-wasm.md
//! sections 2 and 7). Every key and every value of the input map becomes a
//! string, and "platform":"wasm" is added:
//!   {"message":"dummy"}  ->  {"message":"dummy","platform":"wasm"}
//! Strings stay as they are; nil, booleans and numbers become their JSON text
//! (null, true, 10, 1.5); arrays and maps become compact JSON. Keys keep the
//! input order; an existing "platform" key is overwritten in place.
//!
//! msgpack is read and written with the rmp crate's low-level functions.
//! The result is one msgpack map in a module-owned buffer reused per record.
//! Input that is not a msgpack map gives NULL, which drops the record.

use rmp::decode::{self, RmpRead};
use rmp::Marker;
use serde_json::{Number, Value};
use std::os::raw::c_char;
use std::slice;

static mut RESULT: Vec<u8> = Vec::new();

/// Nesting limit, so a hostile record cannot exhaust the guest's stack.
const MAX_DEPTH: u32 = 64;

fn read_bytes(input: &mut &[u8], length: u32) -> Option<Vec<u8>> {
    let length = length as usize;
    if input.len() < length {
        return None;
    }
    let (bytes, rest) = input.split_at(length);
    *input = rest;
    Some(bytes.to_vec())
}

fn float_value(value: f64) -> Value {
    Number::from_f64(value).map(Value::Number).unwrap_or(Value::Null)
}

/// Reads one msgpack object as a JSON value (ext types become null).
fn read_value(input: &mut &[u8], depth: u32) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    let marker = decode::read_marker(input).ok()?;
    Some(match marker {
        Marker::Null => Value::Null,
        Marker::True => Value::Bool(true),
        Marker::False => Value::Bool(false),
        Marker::FixPos(n) => Value::from(n),
        Marker::FixNeg(n) => Value::from(n),
        Marker::U8 => Value::from(input.read_data_u8().ok()?),
        Marker::U16 => Value::from(input.read_data_u16().ok()?),
        Marker::U32 => Value::from(input.read_data_u32().ok()?),
        Marker::U64 => Value::from(input.read_data_u64().ok()?),
        Marker::I8 => Value::from(input.read_data_i8().ok()?),
        Marker::I16 => Value::from(input.read_data_i16().ok()?),
        Marker::I32 => Value::from(input.read_data_i32().ok()?),
        Marker::I64 => Value::from(input.read_data_i64().ok()?),
        Marker::F32 => float_value(f64::from(input.read_data_f32().ok()?)),
        Marker::F64 => float_value(input.read_data_f64().ok()?),
        Marker::FixStr(n) => text(read_bytes(input, u32::from(n))?),
        Marker::Str8 | Marker::Bin8 => {
            let n = u32::from(input.read_data_u8().ok()?);
            text(read_bytes(input, n)?)
        }
        Marker::Str16 | Marker::Bin16 => {
            let n = u32::from(input.read_data_u16().ok()?);
            text(read_bytes(input, n)?)
        }
        Marker::Str32 | Marker::Bin32 => {
            let n = input.read_data_u32().ok()?;
            text(read_bytes(input, n)?)
        }
        Marker::FixArray(n) => read_array(input, u32::from(n), depth)?,
        Marker::Array16 => {
            let n = u32::from(input.read_data_u16().ok()?);
            read_array(input, n, depth)?
        }
        Marker::Array32 => {
            let n = input.read_data_u32().ok()?;
            read_array(input, n, depth)?
        }
        Marker::FixMap(n) => Value::Object(read_map(input, u32::from(n), depth)?.into_iter().collect()),
        Marker::Map16 => {
            let n = u32::from(input.read_data_u16().ok()?);
            Value::Object(read_map(input, n, depth)?.into_iter().collect())
        }
        Marker::Map32 => {
            let n = input.read_data_u32().ok()?;
            Value::Object(read_map(input, n, depth)?.into_iter().collect())
        }
        Marker::FixExt1 | Marker::FixExt2 | Marker::FixExt4 | Marker::FixExt8 | Marker::FixExt16 => {
            let size = match marker {
                Marker::FixExt1 => 1,
                Marker::FixExt2 => 2,
                Marker::FixExt4 => 4,
                Marker::FixExt8 => 8,
                _ => 16,
            };
            read_bytes(input, 1 + size)?; // type byte + data
            Value::Null
        }
        Marker::Ext8 | Marker::Ext16 | Marker::Ext32 => {
            let size = match marker {
                Marker::Ext8 => u32::from(input.read_data_u8().ok()?),
                Marker::Ext16 => u32::from(input.read_data_u16().ok()?),
                _ => input.read_data_u32().ok()?,
            };
            read_bytes(input, 1 + size)?;
            Value::Null
        }
        Marker::Reserved => return None,
    })
}

fn text(bytes: Vec<u8>) -> Value {
    Value::String(String::from_utf8_lossy(&bytes).into_owned())
}

fn read_array(input: &mut &[u8], count: u32, depth: u32) -> Option<Value> {
    let mut items = Vec::new();
    for _ in 0..count {
        items.push(read_value(input, depth + 1)?);
    }
    Some(Value::Array(items))
}

/// A map's entries in input order, keys turned into strings.
fn read_map(input: &mut &[u8], count: u32, depth: u32) -> Option<Vec<(String, Value)>> {
    let mut entries = Vec::new();
    for _ in 0..count {
        let key = as_string(read_value(input, depth + 1)?);
        let value = read_value(input, depth + 1)?;
        entries.push((key, value));
    }
    Some(entries)
}

fn as_string(value: Value) -> String {
    match value {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

fn transform(record: &[u8]) -> Option<Vec<u8>> {
    let mut input = record;
    let count = decode::read_map_len(&mut input).ok()?;
    let mut entries: Vec<(String, String)> = read_map(&mut input, count, 0)?
        .into_iter()
        .map(|(key, value)| (key, as_string(value)))
        .collect();
    match entries.iter_mut().find(|(key, _)| key == "platform") {
        Some(entry) => entry.1 = "wasm".into(),
        None => entries.push(("platform".into(), "wasm".into())),
    }
    let mut output = Vec::new();
    rmp::encode::write_map_len(&mut output, entries.len() as u32).ok()?;
    for (key, value) in &entries {
        rmp::encode::write_str(&mut output, key).ok()?;
        rmp::encode::write_str(&mut output, value).ok()?;
    }
    Some(output)
}

/// The filter entry point (msgpack mode: record is one msgpack map of
/// exactly `record_len` bytes; the result is one msgpack map).
///
/// # Safety
/// `record` must point at `record_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn rust_filter_msgpack(
    _tag: *const c_char,
    _tag_len: u32,
    _time_sec: u32,
    _time_nsec: u32,
    record: *const c_char,
    record_len: u32,
) -> *const u8 {
    let record = slice::from_raw_parts(record as *const u8, record_len as usize);
    match transform(record) {
        Some(bytes) => {
            RESULT = bytes;
            RESULT.as_ptr()
        }
        None => std::ptr::null(),
    }
}
