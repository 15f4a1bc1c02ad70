package validation

import (
	"os"
	"testing"
)

// assertSection fails the test for err and for every floor of sec that is
// not met, and prints the section with -v.
func assertSection(t *testing.T, sec Section, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		if err := sec.WriteMarkdown(os.Stdout); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range sec.Failed() {
		t.Errorf("floor not met: %s", f)
	}
}
