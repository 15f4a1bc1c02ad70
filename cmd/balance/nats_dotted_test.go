package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
)

// devicesList is a deviceLister over a slice (or an error).
type devicesList struct {
	ds  []balance.Device
	err error
}

func (l devicesList) Devices(context.Context) ([]balance.Device, error) { return l.ds, l.err }

func TestWarnDottedDeviceIDs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		list    devicesList
		want    []string
		wantLog string // "" for no log line
	}{
		{"none", devicesList{ds: []balance.Device{{ID: "imu-1"}, {ID: "imu_2"}}}, nil, ""},
		{"two", devicesList{ds: []balance.Device{{ID: "clinic.a"}, {ID: "imu-1"}, {ID: "b.2.x"}}}, []string{"clinic.a", "b.2.x"}, "cannot connect through NATS"},
		{"list fails", devicesList{err: errors.New("db down")}, nil, "could not list the devices"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			got := warnDottedDeviceIDs(context.Background(), tc.list, slog.New(slog.NewTextHandler(&buf, nil)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("dotted ids (-want +got):\n%s", diff)
			}
			if (tc.wantLog == "") != (buf.Len() == 0) || !strings.Contains(buf.String(), tc.wantLog) {
				t.Errorf("log %q, want a line with %q", buf.String(), tc.wantLog)
			}
		})
	}
}
