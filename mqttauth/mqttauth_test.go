package mqttauth

import (
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/base64"
	"strings"
	"testing"
)

func TestTopicRules(t *testing.T) {
	for _, tc := range []struct {
		user, topic string
		publish     bool
	}{
		{"d1", "balance/v1/d1/imu", true},
		{"d1", "balance/v1/d1/status", true},
		{"d1", "balance/v1/d2/imu", false},
		{"d1", "balance/v1/d1x/imu", false}, // a prefix of another id is not its own
		{"d1", "balance/v1/d1", false},
		{"d1", "balance/v1/d1/+", false}, // wildcards are no topic
		{"d1", "other/d1", false},
		{"", "balance/v1//imu", false},
		{IngestUsername, "balance/v1/x/imu", false},
		{"d+", "balance/v1/d+/imu", false},
	} {
		if got := MayPublish(tc.user, tc.topic); got != tc.publish {
			t.Errorf("MayPublish(%q, %q) = %v, want %v", tc.user, tc.topic, got, tc.publish)
		}
	}
	for _, tc := range []struct {
		user, filter string
		want         bool
	}{
		{IngestUsername, "balance/v1/#", true},
		{IngestUsername, "balance/v1/+/+", true},
		{IngestUsername, "#", false},
		{"d1", "balance/v1/#", false},
		{"d1", "balance/v1/d1/imu", false},
	} {
		if got := MaySubscribe(tc.user, tc.filter); got != tc.want {
			t.Errorf("MaySubscribe(%q, %q) = %v, want %v", tc.user, tc.filter, got, tc.want)
		}
	}
}

// TestMosquittoHash: the "$7$" format of mosquitto_passwd (Mosquitto 2.0):
// PBKDF2-HMAC-SHA512, 101 iterations, 12-byte salt, 64-byte key, standard
// base64. Recomputing the key from the salt gives the stored key; a real
// Mosquitto accepting it is cmd/balance's TestMosquittoAppliesTheDeviceRules.
func TestMosquittoHash(t *testing.T) {
	h, err := MosquittoHash("secret")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(h, "$")
	if len(parts) != 5 || parts[1] != "7" || parts[2] != "101" {
		t.Fatalf("hash %q, want $7$101$salt$key", h)
	}
	salt, err1 := base64.StdEncoding.DecodeString(parts[3])
	key, err2 := base64.StdEncoding.DecodeString(parts[4])
	if err1 != nil || err2 != nil || len(salt) != 12 || len(key) != 64 {
		t.Fatalf("salt %d bytes, key %d bytes (%v %v)", len(salt), len(key), err1, err2)
	}
	want, _ := pbkdf2.Key(sha512.New, "secret", salt, 101, 64)
	if string(want) != string(key) {
		t.Error("the key is not PBKDF2-SHA512 of the password and salt")
	}
	if h2, _ := MosquittoHash("secret"); h2 == h {
		t.Error("two hashes of one password share a salt")
	}
}

func TestSecrets(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b || len(a) != 43 {
		t.Fatalf("secrets %q %q, want two different 43-character ones", a, b)
	}
	if !SecretMatches(a, SecretSHA256(a)) || SecretMatches(b, SecretSHA256(a)) {
		t.Error("SecretMatches does not tell a secret from another")
	}
}
