// go_filter: a JSON-mode Fluent Bit filter built with Go 1.24's
// //go:wasmexport as a WASI reactor (GOOS=wasip1 GOARCH=wasm
// -buildmode=c-shared). Same observable behaviour as Fluent Bit's TinyGo
// example (fluent-bit-wasm.md section 7): it appends "time" (Go's
// time.Time.String() in UTC), "tag" and "original" (the input text) after the
// input's own keys, and returns NULL (the record is dropped) for input that
// is not a JSON object. For tag "dummy.local", time 1666270588.271704000 and
// {"message":"dummy"}:
//
//	{"message":"dummy","time":"2022-10-20 12:56:28.271704 +0000 UTC","tag":"dummy.local","original":"{\"message\":\"dummy\"}"}
//
// A key that is already present is overwritten where it stands (its first
// occurrence), as the TinyGo example's JSON library does.
//
// The module exports malloc and free (Go-allocated byte slices kept alive in
// a table until freed), so the host copies tag and record into memory that
// Go's runtime owns instead of appending pages behind its back.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
	"unsafe"
)

// A c-shared (reactor) module still needs a main package; main never runs.
func main() {}

// Host allocations, keyed by address; holding the slice keeps it alive.
var allocations = map[uintptr][]byte{}

//go:wasmexport malloc
func guestMalloc(size uint32) unsafe.Pointer {
	if size == 0 {
		size = 1 // distinct addresses even for empty copies
	}
	buffer := make([]byte, size)
	pointer := unsafe.Pointer(unsafe.SliceData(buffer))
	allocations[uintptr(pointer)] = buffer
	return pointer
}

//go:wasmexport free
func guestFree(pointer unsafe.Pointer) {
	delete(allocations, uintptr(pointer))
}

// The last result, NUL-terminated; kept referenced so the GC leaves it alone
// until the host has copied it (before the next call).
var lastResult []byte

type entry struct {
	key   string
	value []byte // compact JSON text
}

// parseObject reads one JSON object, keeping its keys in order.
func parseObject(text []byte) ([]entry, error) {
	decoder := json.NewDecoder(bytes.NewReader(text))
	decoder.UseNumber()
	open, err := decoder.Token()
	if err != nil {
		return nil, err
	}
	if open != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	var entries []entry
	for decoder.More() {
		keyToken, err := decoder.Token()
		if err != nil {
			return nil, err
		}
		var raw json.RawMessage
		if err := decoder.Decode(&raw); err != nil {
			return nil, err
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			return nil, err
		}
		entries = append(entries, entry{key: keyToken.(string), value: compact.Bytes()})
	}
	if _, err := decoder.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := decoder.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the JSON object")
	}
	return entries, nil
}

// quote encodes a JSON string without Go's HTML escaping of <, > and &.
func quote(text string) []byte {
	var buffer bytes.Buffer
	encoder := json.NewEncoder(&buffer)
	encoder.SetEscapeHTML(false)
	_ = encoder.Encode(text) // a string always encodes
	return bytes.TrimSuffix(buffer.Bytes(), []byte("\n"))
}

func set(entries []entry, key string, value []byte) []entry {
	for i := range entries {
		if entries[i].key == key {
			entries[i].value = value
			return entries
		}
	}
	return append(entries, entry{key: key, value: value})
}

//go:wasmexport go_filter
func goFilter(tag *uint8, tagLength uint32, seconds uint32, nanoseconds uint32, record *uint8, recordLength uint32) *uint8 {
	tagText := string(unsafe.Slice(tag, tagLength))
	recordText := unsafe.Slice(record, recordLength)

	entries, err := parseObject(recordText)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go_filter:", err)
		return nil
	}
	now := time.Unix(int64(seconds), int64(nanoseconds)).UTC()
	entries = set(entries, "time", quote(now.String()))
	entries = set(entries, "tag", quote(tagText))
	entries = set(entries, "original", quote(string(recordText)))

	var out bytes.Buffer
	out.WriteByte('{')
	for i, e := range entries {
		if i > 0 {
			out.WriteByte(',')
		}
		out.Write(quote(e.key))
		out.WriteByte(':')
		out.Write(e.value)
	}
	out.WriteByte('}')
	out.WriteByte(0)
	lastResult = out.Bytes()
	return unsafe.SliceData(lastResult)
}
