package alerts_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/alerts/webhook"
	"github.com/balance-pt/balance/alerts/webhook/webhooktest"
	"github.com/balance-pt/balance/sqlite"
)

// helperEnv switches the test binary into a delivery process (see
// deliveryProcess) instead of running tests.
const helperEnv = "BALANCE_ALERTS_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "deliver" {
		if err := deliveryProcess(); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// deliveryProcess is the process the kill test kills: it opens the state
// database in $DIR, raises $N urgent alerts (again, on a restart: Raise is
// idempotent), and delivers them to the webhook at $URL until SIGTERM.
func deliveryProcess() error {
	ctx := context.Background()
	n, _ := strconv.Atoi(os.Getenv("N"))
	st, err := sqlite.OpenState(ctx, filepath.Join(os.Getenv("DIR"), "state.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	cfg := alerts.Config{
		Workers:    2,
		Retry:      alerts.RetryConfig{InitialBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, GiveUpAfter: time.Hour},
		Recipients: []alerts.Recipient{hook("family", alerts.RoleCaregiver, os.Getenv("URL"), secretA)},
	}
	cfg.SetDefaults()
	store := st.AlertStore()
	svc, err := alerts.New(cfg, store, alerts.Options{
		Notifiers: map[string]alerts.Notifier{alerts.ChannelWebhook: webhook.New(5 * time.Second)},
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	if err != nil {
		return err
	}
	for i := range n {
		if err := svc.Raise(ctx, ownGroup(fall(fmt.Sprintf("kill-%02d", i), "p1"))); err != nil {
			return err
		}
	}
	if err := svc.Start(ctx); err != nil {
		return err
	}
	fmt.Println("delivering")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
	return svc.Close()
}

type proc struct {
	cmd *exec.Cmd
	out *syncBuf
}

type syncBuf struct {
	mu chan struct{}
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.b.Write(p)
}
func (s *syncBuf) String() string { s.mu <- struct{}{}; defer func() { <-s.mu }(); return s.b.String() }

func startDelivery(t *testing.T, dir, url string, n int) *proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: exec.Command(exe, "-test.run=^$"), out: &syncBuf{mu: make(chan struct{}, 1)}}
	p.cmd.Env = append(os.Environ(), helperEnv+"=deliver", "DIR="+dir, "URL="+url, "N="+strconv.Itoa(n))
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p
}

// TestKillDuringDeliveryAndRestart runs delivery in a separate process,
// SIGKILLs it while requests to a slow receiver are in flight, restarts it
// on the same database, and checks that every alert arrived, that no alert
// arrived under two webhook-ids (so a receiver deduplicating by webhook-id
// sees each alert once), and that the delivery log shows every attempt,
// the interrupted ones included.
func TestKillDuringDeliveryAndRestart(t *testing.T) {
	const n = 20
	rx := webhooktest.NewReceiver(t, []string{secretA}, func(_ int, _ *webhooktest.Request, w http.ResponseWriter) {
		time.Sleep(150 * time.Millisecond) // slow: the kill lands mid-request
		w.WriteHeader(http.StatusNoContent)
	})
	dir := t.TempDir()

	first := startDelivery(t, dir, rx.URL, n)
	rx.Wait(t, 30*time.Second, "five requests from the first process", webhooktest.Count(5))
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.cmd.Wait()
	atKill := len(rx.Requests())
	t.Logf("killed the first process after %d requests", atKill)

	second := startDelivery(t, dir, rx.URL, n)
	uniqueAlerts := func(rs []webhooktest.Request) bool {
		seen := map[string]bool{}
		for _, r := range rs {
			for _, a := range r.Payload.Data.Alerts {
				seen[a.ID] = true
			}
		}
		return len(seen) == n
	}
	rx.Wait(t, 60*time.Second, "every alert", uniqueAlerts)
	// The last answers may still be on their way back: read the log (a
	// second connection to the database, as an operator would) until
	// every delivery is done, then stop the process.
	st, err := sqlite.OpenState(context.Background(), filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	store := st.AlertStore()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		counts, err := store.DeliveryCounts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if counts[alerts.StateDelivered] == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries by state %v after the receiver saw every alert", counts)
		}
	}
	second.cmd.Process.Signal(syscall.SIGTERM)
	if err := second.cmd.Wait(); err != nil {
		t.Fatalf("second process: %v\n%s", err, second.out.String())
	}
	if !bytes.Contains([]byte(second.out.String()), []byte("resuming deliveries interrupted")) {
		t.Errorf("the restarted process did not report resuming interrupted deliveries:\n%s", second.out.String())
	}

	// What the receiver saw.
	reqs := rx.Requests()
	receipts := map[string]int{}     // webhook-id → requests
	alertByID := map[string]string{} // webhook-id → alert
	idOfAlert := map[string]string{} // alert → webhook-id
	for _, r := range reqs {
		if r.VerifyErr != nil {
			t.Errorf("request %s: %v", r.ID, r.VerifyErr)
		}
		if len(r.Payload.Data.Alerts) != 1 {
			t.Fatalf("request %s carries %d alerts, want 1", r.ID, len(r.Payload.Data.Alerts))
		}
		a := r.Payload.Data.Alerts[0].ID
		receipts[r.ID]++
		alertByID[r.ID] = a
		if prev, ok := idOfAlert[a]; ok && prev != r.ID {
			t.Errorf("alert %s arrived under two webhook-ids, %s and %s", a, prev, r.ID)
		}
		idOfAlert[a] = r.ID
	}
	if len(receipts) != n {
		t.Errorf("%d distinct webhook-ids, want %d", len(receipts), n)
	}

	// What the log says.
	interrupted := 0
	for i := range n {
		id := fmt.Sprintf("kill-%02d", i)
		ds, err := store.Deliveries(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 {
			t.Fatalf("%s has %d deliveries, want 1", id, len(ds))
		}
		d := ds[0]
		if d.State != alerts.StateDelivered || d.ID != idOfAlert[id] {
			t.Errorf("%s: delivery %s is %s; receiver saw webhook-id %s", id, d.ID, d.State, idOfAlert[id])
		}
		if len(d.Log) != d.Attempts || len(d.Log) == 0 {
			t.Errorf("%s: %d attempts counted, %d logged", id, d.Attempts, len(d.Log))
			continue
		}
		for j, a := range d.Log {
			if a.N != j+1 {
				t.Errorf("%s: log entry %d numbered %d", id, j, a.N)
			}
			last := j == len(d.Log)-1
			switch {
			case last && a.Outcome != alerts.OutcomeDelivered:
				t.Errorf("%s: last attempt %s, want delivered", id, a.Outcome)
			case !last && a.Outcome == alerts.OutcomeInterrupted:
				interrupted++
			case !last:
				t.Errorf("%s: attempt %d %s, want interrupted (only the kill failed attempts)", id, a.N, a.Outcome)
			}
		}
		// Every request the receiver saw is an attempt in the log (an
		// interrupted attempt may not have reached it).
		if got := receipts[d.ID]; got > len(d.Log) || got < 1 {
			t.Errorf("%s: receiver saw %d requests for %d logged attempts", id, got, len(d.Log))
		}
	}
	if interrupted == 0 {
		t.Error("no attempt logged as interrupted: the kill did not land mid-delivery")
	}
	dups := 0
	for _, c := range receipts {
		dups += c - 1
	}
	t.Logf("%d requests for %d alerts: %d interrupted attempts, %d redelivered under the same webhook-id", len(reqs), n, interrupted, dups)
}
