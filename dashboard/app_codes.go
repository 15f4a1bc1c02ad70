package dashboard

import (
	"crypto/rand"
	"math/big"
	"strings"
)

// codeAlphabet is Crockford's base32 without 0 and 1 (it already leaves out
// I, L, O and U): no two characters are easily mistaken for each other,
// when read aloud or typed by someone with poor sight or shaky hands.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

// codeLen is the length of a patient's log-in code: 30^8 ≈ 6.6·10^11
// codes, valid once for a day and guessed against a rate limit.
const codeLen = 8

// newCode returns a random log-in code of codeLen characters.
func newCode() string {
	b := make([]byte, codeLen)
	max := big.NewInt(int64(len(codeAlphabet)))
	for i := range b {
		n, _ := rand.Int(rand.Reader, max) // crypto/rand never fails
		b[i] = codeAlphabet[n.Int64()]
	}
	return string(b)
}

// normalizeCode reads a typed code: letters in either case, with or
// without spaces and dashes.
func normalizeCode(typed string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t', '\u00a0':
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(typed)))
}

// showCode groups a code in two halves for reading: "ABCD-EFGH".
func showCode(code string) string {
	if len(code) != codeLen {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// codeHash is what the store keeps of a code.
func codeHash(code string) string { return tokenHash("app-code:" + normalizeCode(code)) }
