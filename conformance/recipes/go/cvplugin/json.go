package cvplugin

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// strictObject reads a JSON object the way PROTOCOL.md §2 and §4 need, which encoding/json alone
// does not: Unmarshal keeps the last of two equal member names silently, and replaces invalid
// UTF-8 with U+FFFD. It returns the top-level member names in order (repeats included), each
// top-level value as written (a RawMessage: `1764288240.0` and `-0` stay visible), and whether any
// object, at any depth, repeats a name. Names are compared after unescaping, so "s\u0075b" is "sub".
type strictJSON struct {
	names     []string
	raw       map[string]json.RawMessage
	duplicate bool
}

var errNotObject = errors.New("not a UTF-8 JSON object")

func strictObject(data []byte) (*strictJSON, error) {
	if !utf8.Valid(data) || !json.Valid(data) { // json.Valid: one value, nothing after it
		return nil, errNotObject
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errNotObject
	}
	out := &strictJSON{raw: map[string]json.RawMessage{}}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, errNotObject
		}
		name := t.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, errNotObject
		}
		if seen[name] {
			out.duplicate = true
		}
		seen[name] = true
		out.names = append(out.names, name)
		out.raw[name] = value
		if dup, err := repeatsAName(value); err != nil {
			return nil, errNotObject
		} else if dup {
			out.duplicate = true
		}
	}
	return out, nil
}

// repeatsAName walks one JSON value and reports whether any object in it repeats a name.
func repeatsAName(value []byte) (bool, error) {
	dec := json.NewDecoder(bytes.NewReader(value))
	var walk func() (bool, error)
	walk = func() (bool, error) {
		t, err := dec.Token()
		if err != nil {
			return false, err
		}
		delim, ok := t.(json.Delim)
		if !ok {
			return false, nil
		}
		dup := false
		seen := map[string]bool{}
		for dec.More() {
			if delim == '{' {
				k, err := dec.Token()
				if err != nil {
					return false, err
				}
				dup = dup || seen[k.(string)]
				seen[k.(string)] = true
			}
			d, err := walk()
			if err != nil {
				return false, err
			}
			dup = dup || d
		}
		_, err = dec.Token() // the closing } or ]
		return dup, err
	}
	dup, err := walk()
	if err == io.EOF {
		err = nil
	}
	return dup, err
}
