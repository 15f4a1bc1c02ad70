package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
)

// Sign returns the webhook-signature header value for a message: for each
// key, "v1," + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body)),
// separated by spaces. Keys are the decoded secrets (alerts.DecodeSecret).
func Sign(keys [][]byte, id string, timestamp int64, body []byte) string {
	content := make([]byte, 0, len(id)+len(body)+24)
	content = append(content, id...)
	content = append(content, '.')
	content = strconv.AppendInt(content, timestamp, 10)
	content = append(content, '.')
	content = append(content, body...)
	sigs := make([]string, len(keys))
	for i, k := range keys {
		m := hmac.New(sha256.New, k)
		m.Write(content)
		sigs[i] = "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	return strings.Join(sigs, " ")
}
