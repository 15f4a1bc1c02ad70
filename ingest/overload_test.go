package ingest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/ingest"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/spool"
	"github.com/balance-pt/balance/sqlite"
	"github.com/balance-pt/balance/wire"
)

// slowStore delays every write: a store behind the stream.
type slowStore struct {
	balance.SampleStore
	delay time.Duration
}

// WriteBatches implements balance.SampleWriter, slowly.
func (s slowStore) WriteBatches(ctx context.Context, bs []*balance.Batch) error {
	time.Sleep(s.delay)
	return s.SampleStore.WriteBatches(ctx, bs)
}

// orderLog records, per device, the seq of each batch OnBatch was given.
type orderLog struct {
	mu   sync.Mutex
	seqs map[string][]uint64
}

func (o *orderLog) onBatch(b *balance.Batch) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seqs[b.DeviceID] = append(o.seqs[b.DeviceID], b.Seq)
}

// TestSlowStoreSlowsTheBrokerInOrder: 20 devices publish 30 batches each
// as fast as a real Mosquitto takes them, while the store needs 25 ms per
// write behind a 4-batch queue, so ingest cannot keep up. Ingest takes
// messages at the store's pace (the broker keeps the rest): every sample
// is stored, none goes to the spool, the hook monitoring uses sees each
// device's batches once and in the order they were published (nothing
// to read back), and the messages ingest held at once stay within its
// lanes' bound.
func TestSlowStoreSlowsTheBrokerInOrder(t *testing.T) {
	brokerURL := testenv.StartMosquitto(t)
	dir := t.TempDir()
	base, err := sqlite.OpenSamples(context.Background(), filepath.Join(dir, "samples.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { base.Close() })
	state, err := sqlite.OpenState(context.Background(), filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { state.Close() })
	sp, err := spool.Open(filepath.Join(dir, "spool"), spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	order := &orderLog{seqs: map[string][]uint64{}}
	p, err := ingest.New(ingest.Config{QueueBatches: 4, MinWriteSamples: 1, MaxWriteSamples: 200},
		ingest.Deps{Store: slowStore{SampleStore: base, delay: 25 * time.Millisecond}, Registry: state, Quarantine: state, Spool: sp, OnBatch: order.onBatch})
	if err != nil {
		t.Fatal(err)
	}
	p.Start()
	t.Cleanup(p.Stop)
	const lanes, depth = 2, 4
	sub, err := ingest.NewSubscriber(ingest.MQTTConfig{Broker: brokerURL, ClientID: "balance-test-slow", Lanes: lanes, LaneDepth: depth}, p.Handle, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Start(context.Background(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Stop)

	const devices, batches = 20, 30
	var ids []string
	for d := range devices {
		ids = append(ids, fmt.Sprintf("slow-%02d", d))
	}
	ctx := context.Background()
	state.CreatePatient(ctx, balance.Patient{ID: "slow-patient"})
	for _, id := range ids {
		if err := state.RegisterDevice(ctx, balance.Device{ID: id, PatientID: "slow-patient"}); err != nil {
			t.Fatal(err)
		}
	}
	pub := publisher(t, brokerURL, "slow-pub")
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	var payloadBytes int
	for i := range batches {
		for _, id := range ids {
			b := &balance.Batch{DeviceID: id, Seq: uint64(i), RateHz: 100}
			for k := range 100 {
				b.Samples = append(b.Samples, balance.Sample{TimeNS: t0.Add(time.Duration(i)*time.Second).UnixNano() + int64(k)*10_000_000, Acc: [3]float64{0, float64(k%9) / 10, 9.81}})
			}
			payload := wire.AppendJSON(nil, b, wire.JSONOptions{})
			payloadBytes = max(payloadBytes, len(payload))
			pub.Publish(wire.Topic(id, wire.KindIMU), 1, false, payload)
		}
	}
	want := int64(devices * batches * 100)
	waitUntil(t, 2*time.Minute, "every sample stored", func() bool { return p.Stats().SamplesStored.Load() == want })
	if n := p.Stats().SamplesSpooled.Load(); n != 0 {
		t.Errorf("%d samples went to the spool; a slow store must slow the broker instead", n)
	}
	order.mu.Lock()
	defer order.mu.Unlock()
	for _, id := range ids {
		seqs := order.seqs[id]
		if len(seqs) != batches {
			t.Fatalf("%s: OnBatch saw %d batches, want %d", id, len(seqs), batches)
		}
		for i, s := range seqs {
			if s != uint64(i) {
				t.Fatalf("%s: OnBatch saw batch %d in position %d: published order lost", id, s, i)
			}
		}
	}
	// Held at once: the lanes' messages plus one in each handler and one
	// in paho's router (the bound the lanes set; see MQTTConfig.Lanes).
	if bound := int64((lanes*(depth+1) + 1) * payloadBytes); sub.MaxHeld() > bound {
		t.Errorf("ingest held %d payload bytes at once, more than the lanes' bound of %d", sub.MaxHeld(), bound)
	}
	t.Logf("%d samples stored through a 25 ms/write store; at most %d payload bytes held (bound %d)", want, sub.MaxHeld(), (lanes*(depth+1)+1)*payloadBytes)
}
