package webhook

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestSignVector reproduces the Standard Webhooks reference test vector
// (the libraries' tests: secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, id
// msg_p5jXN8AQM9LWM0D4loKWxJek, timestamp 1614265330, body
// {"test": 2432232314}); checked independently with
//
//	python3 -c 'import hmac,hashlib,base64; k=base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
//	print(base64.b64encode(hmac.new(k,b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{\"test\": 2432232314}",hashlib.sha256).digest()))'
func TestSignVector(t *testing.T) {
	key, _ := base64.StdEncoding.DecodeString("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	got := Sign([][]byte{key}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

// TestSignRotation: two keys give two space-separated signatures, the
// vector's first.
func TestSignRotation(t *testing.T) {
	key, _ := base64.StdEncoding.DecodeString("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	other := make([]byte, 32)
	got := Sign([][]byte{key, other}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	parts := strings.Split(got, " ")
	if len(parts) != 2 {
		t.Fatalf("Sign with two keys = %q, want two signatures", got)
	}
	if parts[0] != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Errorf("first signature %q is not the vector's", parts[0])
	}
	if parts[1] == parts[0] || !strings.HasPrefix(parts[1], "v1,") {
		t.Errorf("second signature %q should be a different v1 signature", parts[1])
	}
}
