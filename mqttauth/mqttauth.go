// Package mqttauth holds what device identity on MQTT needs whatever the
// broker: device secrets and their hashes, the topic rules (a device may
// publish only under its own balance/v1/{id}/, the ingest client may read
// them all), and the files that make Mosquitto apply the same rules (a
// password file in its PBKDF2-SHA512 format and an ACL file).
package mqttauth

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// IngestUsername is the MQTT user name of balance's own ingest client. It
// holds a '$', which device ids cannot, so no device can claim it.
const IngestUsername = "balance$ingest"

// NewSecret returns a random 256-bit secret, base64url without padding
// (43 characters): a device's MQTT password.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// SecretSHA256 is the hash kept to check a secret: a secret has 256 bits
// of entropy, so a fast hash is enough (no dictionary to try).
func SecretSHA256(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// SecretMatches reports in constant time whether secret has the hash.
func SecretMatches(secret, sha256Hex string) bool {
	return subtle.ConstantTimeCompare([]byte(SecretSHA256(secret)), []byte(sha256Hex)) == 1
}

// mosquittoIterations and mosquittoSaltLen are mosquitto_passwd's
// defaults for the "$7$" (PBKDF2-SHA512) format of Mosquitto 2.0.
const (
	mosquittoIterations = 101
	mosquittoSaltLen    = 12
)

// MosquittoHash returns password in Mosquitto's password-file format
// "$7$iterations$salt$hash": PBKDF2 with HMAC-SHA512, a random 12-byte
// salt, 64-byte key, both in standard base64 (as mosquitto_passwd writes).
func MosquittoHash(password string) (string, error) {
	salt := make([]byte, mosquittoSaltLen)
	rand.Read(salt)
	key, err := pbkdf2.Key(sha512.New, password, salt, mosquittoIterations, sha512.Size)
	if err != nil {
		return "", fmt.Errorf("mqttauth: %w", err)
	}
	return fmt.Sprintf("$7$%d$%s$%s", mosquittoIterations, base64.StdEncoding.EncodeToString(salt), base64.StdEncoding.EncodeToString(key)), nil
}

// DeviceTopicPrefix is the topic prefix under which device id may publish.
func DeviceTopicPrefix(deviceID string) string { return "balance/v1/" + deviceID + "/" }

// MayPublish reports whether the MQTT user may publish to topic: a device
// only under its own prefix; the ingest client nowhere.
func MayPublish(username, topic string) bool {
	if username == "" || username == IngestUsername || strings.ContainsAny(username, "+#/") {
		return false
	}
	return strings.HasPrefix(topic, DeviceTopicPrefix(username)) && !strings.ContainsAny(topic, "+#")
}

// MaySubscribe reports whether the MQTT user may read filter: the ingest
// client every device's topics; a device nothing.
func MaySubscribe(username, filter string) bool {
	return username == IngestUsername && (filter == "balance/v1/#" || strings.HasPrefix(filter, "balance/v1/"))
}

// PasswordLine is one line of a Mosquitto password file.
func PasswordLine(username, hash string) string { return username + ":" + hash + "\n" }

// MosquittoACL is the ACL file for Mosquitto that applies MayPublish and
// MaySubscribe: every user may write under balance/v1/<own name>/, the
// ingest user may read balance/v1/# (and the broker's $SYS statistics, for
// health checks), and nothing else is allowed.
func MosquittoACL() string {
	return `# Written by balance (mqttauth.MosquittoACL). Devices log in with their id as
# user name; each may publish only under its own balance/v1/<id>/ and read
# nothing. The ingest client reads every device's topics.
pattern write balance/v1/%u/#

user ` + IngestUsername + `
topic read balance/v1/#
# Broker statistics, for health checks.
topic read $SYS/#
`
}
