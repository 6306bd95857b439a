package cvplugin

import (
	"encoding/base64"
	"regexp"
)

var base64urlAlphabet = regexp.MustCompile(`^[A-Za-z0-9_-]*$`)

// decodeSegment reads canonical unpadded base64url only (§2): decode, re-encode, compare.
// base64.RawURLEncoding.Strict() refuses non-zero trailing bits too, but golang-jwt decodes with
// its own settings (padding and non-strict bits by option): check before handing it the token.
func decodeSegment(segment string) ([]byte, error) {
	if !base64urlAlphabet.MatchString(segment) {
		return nil, refuse("non_canonical_base64", "padding, +, / or whitespace")
	}
	data, err := base64.RawURLEncoding.DecodeString(segment)
	if err != nil || base64.RawURLEncoding.EncodeToString(data) != segment {
		return nil, refuse("non_canonical_base64", "bad length or non-zero trailing bits")
	}
	return data, nil
}

func encodeSegment(data []byte) string {
	return base64.RawURLEncoding.EncodeToString(data)
}
