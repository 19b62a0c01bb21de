package proxy

import (
	"encoding/json"
	"math"
	"strconv"
	"sync"
)

// marshalRecord is the log line of r as encoding/json writes it, newline
// included. appendRecord builds the same bytes without reflection.
func marshalRecord(r *record) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		b = []byte(`{"decision":"error","reason":"log record did not encode"}`)
	}
	return append(b, '\n')
}

// lineBufs holds the buffers log lines are built in, so a request's line
// costs no allocation and is still written with one Write.
var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// appendRecord appends r's log line to b: byte for byte what
// marshalRecord gives (FuzzAppendRecord holds it to that), without
// reflection or allocation for the ASCII text a record almost always is.
// Anything unusual (a string needing escapes, a float encoding/json would
// write with an exponent) goes through encoding/json.
func appendRecord(b []byte, r *record) []byte {
	if d := math.Abs(r.DurationMS); d != 0 && (d < 1e-6 || d >= 1e21) || math.IsNaN(r.DurationMS) {
		return append(b, marshalRecord(r)...)
	}
	b = append(b, `{"time":`...)
	b = appendJSONString(b, r.Time)
	b = append(b, `,"id":`...)
	b = appendJSONString(b, r.ID)
	b = append(b, `,"client":`...)
	b = appendJSONString(b, r.Client)
	if r.User != "" {
		b = append(b, `,"user":`...)
		b = appendJSONString(b, r.User)
	}
	b = append(b, `,"method":`...)
	b = appendJSONString(b, r.Method)
	if r.Host != "" {
		b = append(b, `,"host":`...)
		b = appendJSONString(b, r.Host)
	}
	if r.Port != 0 {
		b = append(b, `,"port":`...)
		b = strconv.AppendInt(b, int64(r.Port), 10)
	}
	if r.Path != "" {
		b = append(b, `,"path":`...)
		b = appendJSONString(b, r.Path)
	}
	if r.ResolvedIP != "" {
		b = append(b, `,"resolved_ip":`...)
		b = appendJSONString(b, r.ResolvedIP)
	}
	b = append(b, `,"decision":`...)
	b = appendJSONString(b, r.Decision)
	b = append(b, `,"rule":`...)
	b = appendJSONString(b, r.Rule)
	if r.Reason != "" {
		b = append(b, `,"reason":`...)
		b = appendJSONString(b, r.Reason)
	}
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	b = append(b, `,"bytes_up":`...)
	b = strconv.AppendInt(b, r.BytesUp, 10)
	b = append(b, `,"bytes_down":`...)
	b = strconv.AppendInt(b, r.BytesDown, 10)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, r.DurationMS, 'f', -1, 64)
	if r.Policy != "" {
		b = append(b, `,"policy":`...)
		b = appendJSONString(b, r.Policy)
	}
	return append(b, "}\n"...)
}

// appendJSONString quotes s as encoding/json does: printable ASCII other
// than the quote, the backslash and the HTML-escaped <, > and & is copied;
// a string with anything else is encoded by encoding/json itself.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
