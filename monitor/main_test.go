package monitor_test

import (
	"os"
	"testing"

	"github.com/balance-pt/balance/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopShared()
	os.Exit(code)
}
