package dashboard

import "testing"

func TestSafeNextRefusesOffsiteTargets(t *testing.T) {
	for in, want := range map[string]string{
		"/patients/p1":         "/patients/p1",
		"/patients/p1?tab=a":   "/patients/p1?tab=a",
		"//evil.example/x":     "/",
		"/\t/evil.example/x":   "/",
		"/\n/evil.example/x":   "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"evil.example":         "/",
		"":                     "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
