//! exec_wasi example (fluent-bit-wasm.md section 6): a WASI command that
//! prints one JSON line on stdout (the exec_wasi input turns it into a record)
//! and writes helloworld.txt into the preopened current directory.
//! Its output is fixed so that tests can compare it exactly.

use serde_json::json;
use std::fs;

fn main() {
    let line = json!({
        "lang": "Rust",
        "message": "Hello, from exec_wasi!",
        "file": "helloworld.txt",
    });
    println!("{}", line);
    if let Err(error) = fs::write("helloworld.txt", "Hello, world!\n") {
        eprintln!("exec_wasi: cannot write helloworld.txt: {}", error);
        std::process::exit(1);
    }
}
