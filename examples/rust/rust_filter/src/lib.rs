//! rust_filter: a JSON-mode Fluent Bit filter (fluent-bit-wasm.md section 7).
//!
//! For tag "dummy.local", time 1666270588.271704000 and {"message":"dummy"} it
//! returns (keys in alphabetical order, because serde_json's map is sorted):
//! {"lang":"Rust","message":"dummy","original":"{\"message\":\"dummy\"}",
//!  "tag":"dummy.local","time":"2022-10-20T12:56:28.271704000 +0000"}
//!
//! Built for wasm32-unknown-unknown: the module has no imports and exports
//! neither malloc nor free, so the host copies tag and record into a heap it
//! manages itself inside linear memory.
//!
//! Unlike the reference plugin (which returned a pointer into a freed,
//! unterminated String), the result lives in one buffer owned by the module,
//! reused for every record and always NUL-terminated: the host copies the
//! result before it calls the filter again.

use serde_json::{Map, Value};
use std::os::raw::c_char;
use std::slice;

/// The last result, NUL-terminated. Only ever touched from the filter call,
/// and a filter instance is never entered by two threads at once.
static mut RESULT: Vec<u8> = Vec::new();

/// Proleptic Gregorian date of a day count since 1970-01-01 (days-from-civil
/// inverted through 400-year eras, so it needs no tables).
fn civil_from_days(days_since_epoch: i64) -> (i64, u32, u32) {
    let z = days_since_epoch + 719_468; // shift the epoch to 0000-03-01
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let day_of_era = z - era * 146_097; // 0..=146096
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153; // 0 = March
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 } as u32;
    let year = year_of_era + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

/// `%Y-%m-%dT%H:%M:%S.%9f %z` in UTC, e.g. "2022-10-20T12:56:28.271704000 +0000".
fn format_utc(seconds: u32, nanoseconds: u32) -> String {
    let (year, month, day) = civil_from_days(i64::from(seconds / 86_400));
    let second_of_day = seconds % 86_400;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09} +0000",
        year,
        month,
        day,
        second_of_day / 3_600,
        second_of_day / 60 % 60,
        second_of_day % 60,
        nanoseconds
    )
}

fn transform(tag: &[u8], seconds: u32, nanoseconds: u32, record: &[u8]) -> Option<Vec<u8>> {
    let input: Value = serde_json::from_slice(record).ok()?;
    let mut output = Map::new();
    output.insert("lang".into(), Value::from("Rust"));
    output.insert("message".into(), input.get("message").cloned().unwrap_or(Value::Null));
    output.insert("original".into(), Value::from(input.to_string()));
    output.insert("tag".into(), Value::from(String::from_utf8_lossy(tag).into_owned()));
    output.insert("time".into(), Value::from(format_utc(seconds, nanoseconds)));
    serde_json::to_vec(&Value::Object(output)).ok()
}

/// The filter entry point: (tag, tag_len, sec, nsec, record, record_len) -> result.
/// Input that is not JSON gives NULL, which drops the record.
///
/// # Safety
/// `tag` and `record` must point at `tag_len` and `record_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn rust_filter(
    tag: *const c_char,
    tag_len: u32,
    time_sec: u32,
    time_nsec: u32,
    record: *const c_char,
    record_len: u32,
) -> *const u8 {
    let tag = slice::from_raw_parts(tag as *const u8, tag_len as usize);
    let record = slice::from_raw_parts(record as *const u8, record_len as usize);
    match transform(tag, time_sec, time_nsec, record) {
        Some(mut bytes) => {
            bytes.push(0);
            RESULT = bytes;
            RESULT.as_ptr()
        }
        None => std::ptr::null(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_chrono() {
        assert_eq!(format_utc(1_666_270_588, 271_704_000), "2022-10-20T12:56:28.271704000 +0000");
        assert_eq!(format_utc(0, 0), "1970-01-01T00:00:00.000000000 +0000");
        assert_eq!(format_utc(951_825_600, 5), "2000-02-29T12:00:00.000000005 +0000");
        assert_eq!(format_utc(u32::MAX, 0), "2106-02-07T06:28:15.000000000 +0000");
    }
}
