package monitor_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance/monitor"
)

func TestDefaultConfigValid(t *testing.T) {
	c := monitor.DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestConfigErrorsNameTheKey: each misconfiguration is refused with the
// key that is wrong.
func TestConfigErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *monitor.Config)
		want   string
	}{
		{"no movement too short", func(c *monitor.Config) { c.Clinic.NoMovementAfter = time.Second }, "monitoring.clinic.no_movement_after"},
		{"bad hours", func(c *monitor.Config) { c.Clinic.ExpectedHours = "8-20" }, "monitoring.clinic.expected_hours"},
		{"bad zone", func(c *monitor.Config) { c.Clinic.TimeZone = "Mars/Olympus" }, "monitoring.clinic.time_zone"},
		{"high TUG below moderate", func(c *monitor.Config) { c.Clinic.Thresholds.TUGHigh = 10 }, "monitoring.clinic.thresholds.tug_high_s"},
		{"high gait speed above moderate", func(c *monitor.Config) { c.Clinic.NeuropathyThresholds.GaitSpeedHigh = 1.2 },
			"monitoring.clinic.neuropathy_thresholds.gait_speed_high_mps"},
		{"negative missed fraction", func(c *monitor.Config) { c.Clinic.MissedFraction = -1 }, "monitoring.clinic.missed_fraction"},
		{"patient override", func(c *monitor.Config) {
			r := c.Clinic
			r.OfflineAfter = time.Second
			c.Patients = map[string]monitor.Rules{"p7": r}
		}, "monitoring.patients.p7.offline_after"},
		{"workers", func(c *monitor.Config) { c.Workers = -1 }, "monitoring.workers"},
		{"negative gait buffer", func(c *monitor.Config) { c.GaitBufferMB = -1 }, "monitoring.gait_buffer_mb"},
		{"gait buffer not a number", func(c *monitor.Config) { c.GaitBufferMB = math.NaN() }, "monitoring.gait_buffer_mb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := monitor.DefaultConfig()
			tt.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one naming %s", err, tt.want)
			}
			if _, err := monitor.New(c, monitor.Deps{}); err == nil {
				t.Error("New accepted the configuration")
			}
		})
	}
}

func TestInHours(t *testing.T) {
	r := monitor.DefaultRules()
	r.ExpectedHours, r.TimeZone = "22:00-06:00", "Europe/Berlin"
	tests := []struct {
		utc  string
		want bool
	}{
		{"2026-11-28T20:59:00Z", false}, // 21:59 in Berlin (UTC+1 in winter)
		{"2026-11-28T21:00:00Z", true},  // 22:00
		{"2026-11-29T04:59:00Z", true},  // 05:59
		{"2026-11-29T05:00:00Z", false}, // 06:00
	}
	for _, tt := range tests {
		at, _ := time.Parse(time.RFC3339, tt.utc)
		if got := r.InHours(at); got != tt.want {
			t.Errorf("InHours(%s) = %v, want %v", tt.utc, got, tt.want)
		}
	}
}
