package alerts

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// AckLinks makes and checks one-click acknowledgement links: a recipient
// acknowledges an alert from the notification without logging in. A link
// names the alert and the recipient, expires, and is signed with the
// installation's key (HMAC-SHA256), so it cannot be forged or moved to
// another alert or person. Opening it shows a page; only its button
// acknowledges (mail scanners open links).
type AckLinks struct {
	Key []byte
	// TTL is how long a link works after the notification [24h].
	TTL time.Duration
}

// ackLinkTTL is the default life of a link.
const ackLinkTTL = 24 * time.Hour

func (l AckLinks) ttl() time.Duration {
	if l.TTL > 0 {
		return l.TTL
	}
	return ackLinkTTL
}

func (l AckLinks) sign(alertID, recipient string, exp int64) string {
	m := hmac.New(sha256.New, l.Key)
	fmt.Fprintf(m, "%s\x00%s\x00%d", alertID, recipient, exp)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Link returns the path and query of the link for a recipient, valid until
// from + TTL ("" when no key is set).
func (l AckLinks) Link(alertID, recipient string, from time.Time) string {
	if len(l.Key) == 0 {
		return ""
	}
	exp := from.Add(l.ttl()).Unix()
	q := url.Values{"r": {recipient}, "exp": {strconv.FormatInt(exp, 10)}, "sig": {l.sign(alertID, recipient, exp)}}
	return "/ack/" + url.PathEscape(alertID) + "?" + q.Encode()
}

// Check returns the recipient a link's query was made for, or an error
// saying why it does not work.
func (l AckLinks) Check(alertID string, q url.Values, now time.Time) (string, error) {
	if len(l.Key) == 0 {
		return "", fmt.Errorf("acknowledgement links are not enabled")
	}
	recipient, sig := q.Get("r"), q.Get("sig")
	exp, err := strconv.ParseInt(q.Get("exp"), 10, 64)
	if err != nil || recipient == "" || sig == "" {
		return "", fmt.Errorf("the link is incomplete")
	}
	if !hmac.Equal([]byte(sig), []byte(l.sign(alertID, recipient, exp))) {
		return "", fmt.Errorf("the link is not valid")
	}
	if now.Unix() > exp {
		return "", fmt.Errorf("the link expired at %s", time.Unix(exp, 0).UTC().Format("2006-01-02 15:04 UTC"))
	}
	return recipient, nil
}

// absoluteLink makes a link absolute with the base URL.
func absoluteLink(base, link string) string {
	if link == "" {
		return ""
	}
	return strings.TrimSuffix(base, "/") + link
}
