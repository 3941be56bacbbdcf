// A test client built on Debian's fluent-logger-golang: posts records whose values cover the
// msgpack types, with EventTime (SubSecondPrecision) or integer times, optionally asking for acks.
// Usage: go_client NETWORK ADDRESS PORT SUBSECOND(0|1) ACK(0|1) COUNT
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
)

func main() {
	if len(os.Args) != 7 {
		fmt.Fprintln(os.Stderr, "usage: go_client NETWORK ADDRESS PORT SUBSECOND ACK COUNT")
		os.Exit(2)
	}
	port, _ := strconv.Atoi(os.Args[3])
	count, _ := strconv.Atoi(os.Args[6])
	config := fluent.Config{
		FluentNetwork:      os.Args[1],
		SubSecondPrecision: os.Args[4] == "1",
		RequestAck:         os.Args[5] == "1",
		Timeout:            5 * time.Second,
		MaxRetry:           3,
	}
	if os.Args[1] == "unix" {
		config.FluentSocketPath = os.Args[2]
	} else {
		config.FluentHost = os.Args[2]
		config.FluentPort = port
	}
	logger, err := fluent.New(config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect:", err)
		os.Exit(1)
	}
	defer logger.Close()
	for i := 0; i < count; i++ {
		record := map[string]interface{}{
			"i":      i,
			"neg":    int64(-1) << 40,
			"u64":    uint64(18446744073709551615),
			"f":      0.1,
			"s":      "héllo",
			"b":      []byte{0, 1, 2, 255},
			"t":      true,
			"n":      nil,
			"list":   []interface{}{1, "two", 3.5},
			"nested": map[string]interface{}{"k": "v"},
		}
		at := time.Unix(1700000000+int64(i), 123456789)
		if err := logger.PostWithTime("go.client", at, record); err != nil {
			fmt.Fprintln(os.Stderr, "post:", err)
			os.Exit(1)
		}
	}
	fmt.Println("sent", count)
}
