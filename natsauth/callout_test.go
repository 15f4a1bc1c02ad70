package natsauth_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/natstest"
	"github.com/balance-pt/balance/mqttauth"
	"github.com/balance-pt/balance/natsauth"
	"github.com/balance-pt/balance/natsingest"
)

// partitions is the N of the test clusters' mapping.
const partitions = 16

// registry is the device registry of the tests: secret hashes by device,
// which a test can revoke, and a switch that makes every check fail.
type registry struct {
	mu      sync.Mutex
	secrets map[string]string // device id → mqttauth.SecretSHA256
	down    bool
}

func newRegistry() *registry { return &registry{secrets: map[string]string{}} }

// register gives id a new secret and returns it.
func (r *registry) register(id string) string {
	s := mqttauth.NewSecret()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets[id] = mqttauth.SecretSHA256(s)
	return s
}

func (r *registry) revoke(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.secrets, id)
}

func (r *registry) setDown(down bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = down
}

func (r *registry) CheckDeviceSecret(_ context.Context, id, secret string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		return false, errors.New("registry down")
	}
	h, ok := r.secrets[id]
	return ok && mqttauth.SecretMatches(secret, h), nil
}

// tlog writes slog records to the test log.
type tlog struct{ t testing.TB }

func (w tlog) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// env is a cluster with an auth callout, its static user and the issuer.
type env struct {
	cluster  *natstest.Cluster
	seed     []byte
	user, pw string
}

// startEnv starts size nodes with the partition mapping, one static user
// (balance) and the callout signed by a new account key.
func startEnv(t *testing.T, size int) *env {
	t.Helper()
	kp, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	pub, _ := kp.PublicKey()
	e := &env{seed: seed, user: "balance", pw: mqttauth.NewSecret()}
	src, dst := natsingest.Mapping(partitions)
	e.cluster = natstest.StartClusterWith(t, size, src, dst, natstest.Options{
		AuthCallout: &natstest.AuthCallout{Issuer: pub, Users: map[string]string{e.user: e.pw}},
	})
	natstest.WaitJetStream(t, e.cluster.ClientURLsAs(e.user, e.pw))
	return e
}

// connect connects the static user to node i.
func (e *env) connect(t *testing.T, i int) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(e.cluster.ClientURLsAs(e.user, e.pw)[i])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// service starts a callout service on nc with the test's registry.
func (e *env) service(t *testing.T, nc *nats.Conn, reg natsauth.Registry, sessionMax time.Duration) *natsauth.Service {
	t.Helper()
	s, err := natsauth.New(natsauth.Config{IssuerSeed: e.seed, Partitions: partitions, SessionMax: sessionMax}, reg, slog.New(slog.NewTextHandler(tlog{t}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(nc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// dial connects an MQTT 3.1.1 client as a device would (persistent
// session, no automatic reconnection) and returns the CONNECT's error.
func dial(t *testing.T, url, user, clientID, secret string, onLost func()) (mqtt.Client, error) {
	t.Helper()
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID(clientID).SetUsername(user).SetPassword(secret).
		SetProtocolVersion(4).SetCleanSession(false).SetAutoReconnect(false).SetConnectRetry(false).
		SetConnectTimeout(10 * time.Second)
	if onLost != nil {
		o.SetConnectionLostHandler(func(mqtt.Client, error) { onLost() })
	}
	c := mqtt.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(15 * time.Second) {
		t.Fatalf("CONNECT of %s: no answer in 15 s", user)
	}
	if tok.Error() == nil {
		t.Cleanup(func() { c.Disconnect(100) })
	}
	return c, tok.Error()
}

// publish publishes QoS 1 and waits for the PUBACK.
func publish(t *testing.T, c mqtt.Client, topic, payload string) {
	t.Helper()
	tok := c.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: no PUBACK (%v)", topic, tok.Error())
	}
}

// received is what a NATS subscriber got, "subject payload" per message.
type received struct {
	mu   sync.Mutex
	msgs []string
	got  chan struct{}
}

func subscribe(t *testing.T, nc *nats.Conn, subject string) *received {
	t.Helper()
	r := &received{got: make(chan struct{}, 100)}
	if _, err := nc.Subscribe(subject, func(m *nats.Msg) {
		r.mu.Lock()
		r.msgs = append(r.msgs, m.Subject+" "+string(m.Data))
		r.mu.Unlock()
		r.got <- struct{}{}
	}); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return r
}

// waitFor waits until a message with payload arrived and returns all so far.
func (r *received) waitFor(t *testing.T, payload string) []string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		for _, m := range r.msgs {
			if strings.HasSuffix(m, " "+payload) {
				out := append([]string(nil), r.msgs...)
				r.mu.Unlock()
				return out
			}
		}
		r.mu.Unlock()
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("%q never arrived; got %q", payload, r.msgs)
		}
	}
}

// TestDeviceRules runs the device rules on one real nats-server: a device
// logs in with its secret and publishes to its own topic only; refused
// log-ins are refused at CONNECT; a revoked device cannot log in again;
// the counters follow.
func TestDeviceRules(t *testing.T) {
	e := startEnv(t, 1)
	nc := e.connect(t, 0)
	reg := newRegistry()
	svc := e.service(t, nc, reg, 0)
	mqttURL := e.cluster.MQTTURLs()[0]

	own, other := "ward7-a_1", "d2"
	ownSecret, otherSecret := reg.register(own), reg.register(other)
	got := subscribe(t, nc, "balance.>")
	var want Stats

	t.Run("own topic only", func(t *testing.T) {
		c, err := dial(t, mqttURL, own, own, ownSecret, nil)
		if err != nil {
			t.Fatalf("registered device refused: %v", err)
		}
		want.OK++
		// The forged publication is acknowledged (nats-server PUBACKs a
		// QoS 1 message it drops for a permission violation) and never
		// delivered; own-2 after it, on the same connection, shows the
		// server has handled it.
		publish(t, c, "balance/v1/"+own+"/imu", "own-1")
		publish(t, c, "balance/v1/"+other+"/imu", "forged")
		publish(t, c, "balance/v1/"+own+"/imu", "own-2")
		msgs := got.waitFor(t, "own-2")
		// A retained status, as the simulated wearables publish it.
		if tok := c.Publish("balance/v1/"+own+"/status", 1, true, "retained"); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("retained publish: %v", tok.Error())
		}
		if all := got.waitFor(t, "retained"); len(all) != 3 {
			t.Errorf("after the retained status: %q, want 3 messages", all)
		}
		// The subject is the mapped one: natsingest.Mapping with 16
		// partitions puts the device in PartitionOf(own, 16).
		subj := strings.TrimSuffix(natsauth.PublishSubject("$MQTT.msgs.balance.p", partitions, own), "*") + "imu"
		if diff := cmp.Diff([]string{subj + " own-1", subj + " own-2"}, msgs); diff != "" {
			t.Errorf("delivered (-want +got):\n%s", diff)
		}
		// Subscribing to anything is refused (SUBACK 0x80).
		st := c.Subscribe("balance/v1/#", 1, nil)
		if !st.WaitTimeout(10 * time.Second) {
			t.Fatal("no SUBACK")
		}
		if r := st.(*mqtt.SubscribeToken).Result()["balance/v1/#"]; r != 0x80 {
			t.Errorf("SUBACK of balance/v1/#: %#x, want 0x80 (failure)", r)
		}
		checkStats(t, svc, want)
	})

	t.Run("refused at CONNECT", func(t *testing.T) {
		for _, tc := range []struct {
			name, user, clientID, secret string
		}{
			{"wrong secret", own, own, otherSecret},
			{"no secret", own, own, ""},
			{"unknown device", "d9", "d9", ownSecret},
			{"another device's client id", other, own, otherSecret},
			{"not a device id", mqttauth.IngestUsername, mqttauth.IngestUsername, ownSecret},
			{"anonymous", "", "anon", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := dial(t, mqttURL, tc.user, tc.clientID, tc.secret, nil)
				if !errors.Is(err, packets.ErrorRefusedNotAuthorised) {
					t.Fatalf("CONNECT: %v, want %v", err, packets.ErrorRefusedNotAuthorised)
				}
				want.Refused++
				checkStats(t, svc, want)
			})
		}
		// A device's secret does not open the NATS protocol.
		if c, err := nats.Connect(e.cluster.ClientURLsAs(own, ownSecret)[0], nats.MaxReconnects(0)); err == nil {
			c.Close()
			t.Errorf("a device logged in over the NATS protocol")
		}
		want.Refused++
		checkStats(t, svc, want)
	})

	t.Run("id with a dot", func(t *testing.T) {
		// nats-server refuses an MQTT client id holding '.' itself (CONNACK
		// 2, before any callout): a device whose id holds a '.' cannot use
		// it as client id, so cannot log in on the NATS shape.
		dotted := "ward.7"
		secret := reg.register(dotted)
		if _, err := dial(t, mqttURL, dotted, dotted, secret, nil); !errors.Is(err, packets.ErrorRefusedIDRejected) {
			t.Fatalf("CONNECT of %s: %v, want %v", dotted, err, packets.ErrorRefusedIDRejected)
		}
		checkStats(t, svc, want)
	})

	t.Run("revoked", func(t *testing.T) {
		c, err := dial(t, mqttURL, other, other, otherSecret, nil)
		if err != nil {
			t.Fatalf("registered device refused: %v", err)
		}
		want.OK++
		c.Disconnect(100)
		reg.revoke(other)
		if _, err := dial(t, mqttURL, other, other, otherSecret, nil); !errors.Is(err, packets.ErrorRefusedNotAuthorised) {
			t.Fatalf("revoked device: CONNECT %v, want %v", err, packets.ErrorRefusedNotAuthorised)
		}
		want.Refused++
		checkStats(t, svc, want)
	})

	t.Run("registry down", func(t *testing.T) {
		reg.setDown(true)
		defer reg.setDown(false)
		if _, err := dial(t, mqttURL, own, own, ownSecret, nil); !errors.Is(err, packets.ErrorRefusedNotAuthorised) {
			t.Fatalf("CONNECT with the registry down: %v, want %v", err, packets.ErrorRefusedNotAuthorised)
		}
		want.Errors++
		checkStats(t, svc, want)
	})
}

// Stats is natsauth.Stats, for want values.
type Stats = natsauth.Stats

func checkStats(t *testing.T, s *natsauth.Service, want Stats) {
	t.Helper()
	if diff := cmp.Diff(want, s.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

// TestSessionMax: a device's log-in ends after SessionMax (the user JWT
// expires; the server disconnects it), so a revoked secret stops working
// on connections opened before.
func TestSessionMax(t *testing.T) {
	e := startEnv(t, 1)
	nc := e.connect(t, 0)
	reg := newRegistry()
	e.service(t, nc, reg, 2*time.Second)
	secret := reg.register("d1")
	lost := make(chan struct{})
	start := time.Now()
	if _, err := dial(t, e.cluster.MQTTURLs()[0], "d1", "d1", secret, func() { close(lost) }); err != nil {
		t.Fatal(err)
	}
	// The JWT's expiry is in whole seconds: 1 to 3 s after the log-in.
	select {
	case <-lost:
		if d := time.Since(start); d < time.Second {
			t.Errorf("disconnected after %v, before SessionMax (2 s, whole seconds)", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still connected 10 s after a 2 s SessionMax")
	}
}

// TestClusterQueueGroup: on a 3-node cluster, two services (two
// instances) on different nodes answer devices connecting to any node,
// each log-in once.
func TestClusterQueueGroup(t *testing.T) {
	e := startEnv(t, 3)
	reg := newRegistry()
	a := e.service(t, e.connect(t, 0), reg, 0)
	b := e.service(t, e.connect(t, 2), reg, 0)
	for i, u := range e.cluster.MQTTURLs() {
		for j := range 2 {
			id := "n" + strconv.Itoa(i+1) + "-d" + strconv.Itoa(j+1)
			if _, err := dial(t, u, id, id, reg.register(id), nil); err != nil {
				t.Fatalf("%s on node %d: %v", id, i+1, err)
			}
		}
	}
	sa, sb := a.Stats(), b.Stats()
	if sa.OK+sb.OK != 6 || sa.Refused+sb.Refused+sa.Errors+sb.Errors != 0 {
		t.Errorf("answers: %+v and %+v, want 6 log-ins in all, each answered once", sa, sb)
	}
	t.Logf("log-ins answered: %d by the service on n1, %d by the one on n3", sa.OK, sb.OK)
}

func TestPublishSubject(t *testing.T) {
	for _, tc := range []struct{ subject, id, want string }{
		// Partitions from natsingest.PartitionOf (FNV-1a of the token, mod 16).
		{"$MQTT.msgs.balance.p", "d1", "balance.p." + strconv.Itoa(natsingest.PartitionOf("d1", 16)) + ".d1.*"},
		{"$MQTT.msgs.balance.p", "a.b", "balance.p." + strconv.Itoa(natsingest.PartitionOf("a.b", 16)) + ".a//b.*"},
		{"$MQTT.msgs.x.y", "d-1_Z", "x.y." + strconv.Itoa(natsingest.PartitionOf("d-1_Z", 16)) + ".d-1_Z.*"},
	} {
		if got := natsauth.PublishSubject(tc.subject, 16, tc.id); got != tc.want {
			t.Errorf("PublishSubject(%q, 16, %q) = %q, want %q", tc.subject, tc.id, got, tc.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	acc, _ := nkeys.CreateAccount()
	accSeed, _ := acc.Seed()
	user, _ := nkeys.CreateUser()
	userSeed, _ := user.Seed()
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The seed alone, with a newline as `nk -gen account > file` leaves it.
	got, err := natsauth.ReadSeedFile(write("acc.nk", append(append([]byte(nil), accSeed...), '\n')))
	if err != nil || string(got) != string(accSeed) {
		t.Errorf("ReadSeedFile(account seed) = %q, %v; want the seed", got, err)
	}
	for name, b := range map[string][]byte{"user.nk": userSeed, "junk.nk": []byte("not a seed\n")} {
		if _, err := natsauth.ReadSeedFile(write(name, b)); balance.ErrorCode(err) != balance.EINVALID {
			t.Errorf("ReadSeedFile(%s): %v, want an %s error", name, err, balance.EINVALID)
		}
	}
	if _, err := natsauth.ReadSeedFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("ReadSeedFile(missing file): no error")
	}
	for name, cfg := range map[string]natsauth.Config{
		"no seed":        {},
		"user seed":      {IssuerSeed: userSeed},
		"subject":        {IssuerSeed: accSeed, Subject: "balance.p"},
		"partitions":     {IssuerSeed: accSeed, Partitions: 2000},
		"negative bound": {IssuerSeed: accSeed, SessionMax: -time.Second},
	} {
		if _, err := natsauth.New(cfg, newRegistry(), nil); balance.ErrorCode(err) != balance.EINVALID {
			t.Errorf("New(%s): %v, want an %s error", name, err, balance.EINVALID)
		}
	}
}
