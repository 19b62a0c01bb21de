package proxy

import "encoding/json"

func marshalRecord(r *record) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		b = []byte(`{"decision":"error","reason":"log record did not encode"}`)
	}
	return append(b, '\n')
}
