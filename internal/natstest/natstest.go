// Package natstest starts real nats-server processes for tests: a cluster
// on loopback ports with JetStream, an MQTT listener and the partition
// mapping on every node, with no authentication or (StartClusterWith) with
// static users and an auth callout. It fails the test (never skips) when
// nats-server 2.14+ is missing.
package natstest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/balance-pt/balance/internal/testenv"
)

// ServerPath finds nats-server: $BALANCE_NATS_SERVER, then each GOPATH's
// bin (where scripts/test.sh installs v2.15.3), then PATH. It fails the
// test when none is found or the one found predates 2.14 (consumer reset).
// It never skips.
func ServerPath(t testing.TB) string {
	t.Helper()
	var cands []string
	if p := os.Getenv("BALANCE_NATS_SERVER"); p != "" {
		cands = append(cands, p)
	} else {
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
				gopath = strings.TrimSpace(string(out))
			}
		}
		for _, dir := range filepath.SplitList(gopath) {
			cands = append(cands, filepath.Join(dir, "bin", "nats-server"))
		}
		if p, err := exec.LookPath("nats-server"); err == nil {
			cands = append(cands, p)
		}
	}
	version := regexp.MustCompile(`v(\d+)\.(\d+)\.`)
	for _, p := range cands {
		out, err := exec.Command(p, "--version").Output()
		if err != nil {
			continue
		}
		m := version.FindSubmatch(out)
		if m == nil {
			continue
		}
		major, _ := strconv.Atoi(string(m[1]))
		minor, _ := strconv.Atoi(string(m[2]))
		if major > 2 || major == 2 && minor >= 14 {
			return p
		}
		t.Logf("nats-server %s is %s: too old, want 2.14+ (consumer reset)", p, bytes.TrimSpace(out))
	}
	t.Fatalf("nats-server 2.14+ not found (set BALANCE_NATS_SERVER, or run scripts/test.sh, which installs it with `go install github.com/nats-io/nats-server/v2@v2.15.3`)")
	return ""
}

// Node is one nats-server process of a test cluster.
type Node struct {
	Name      string
	ClientURL string // nats://127.0.0.1:port
	MQTTURL   string // tcp://127.0.0.1:port
	conf      string
	cmd       *exec.Cmd
	log       *os.File
}

// Cluster is a cluster of nats-server processes on loopback ports, each
// with JetStream, MQTT (stream replicas min(size, 3)) and one subject
// mapping (a single server, no cluster, when size is 1).
type Cluster struct {
	t     testing.TB
	bin   string
	Nodes []*Node
}

// Options are what StartClusterWith adds to StartCluster's nodes.
type Options struct {
	// AuthCallout, if not nil, makes every node require authentication:
	// its static users log in with their passwords, every other client
	// (the MQTT devices) through the auth callout.
	AuthCallout *AuthCallout
}

// AuthCallout is the authorization block of each node,
//
//	authorization { users: [...], auth_callout { issuer, auth_users } }
//
// in the global account, the one the MQTT listener, JetStream and the
// mapping are in.
type AuthCallout struct {
	// Issuer is the account public key ("A...") that signs the callout
	// service's answers.
	Issuer string
	// Users are the static users, name to password, all listed in
	// auth_users: they bypass the callout (balance's instances, which also
	// run the callout service). Names and passwords are quoted in the
	// file; avoid '$', which nats-server's configuration reads as a
	// variable.
	Users map[string]string
}

// conf returns the authorization block.
func (a *AuthCallout) conf() string {
	names := make([]string, 0, len(a.Users))
	for u := range a.Users {
		names = append(names, u)
	}
	slices.Sort(names)
	var users, auth []string
	for _, u := range names {
		users = append(users, fmt.Sprintf("{ user: %q, password: %q }", u, a.Users[u]))
		auth = append(auth, strconv.Quote(u))
	}
	return fmt.Sprintf("authorization {\n  users: [ %s ]\n  auth_callout { issuer: %q, auth_users: [ %s ] }\n}\n",
		strings.Join(users, ", "), a.Issuer, strings.Join(auth, ", "))
}

// StartCluster starts size nodes with the mapping src → dst (as
// natsingest.Mapping returns it) and stops them with kill -9 when the test
// ends, showing their log tails if it failed. Nodes require no
// authentication.
func StartCluster(t testing.TB, size int, src, dst string) *Cluster {
	t.Helper()
	return StartClusterWith(t, size, src, dst, Options{})
}

// StartClusterWith is StartCluster with opts.
func StartClusterWith(t testing.TB, size int, src, dst string, opts Options) *Cluster {
	t.Helper()
	bin := ServerPath(t)
	dir := t.TempDir()
	type ports struct{ client, route, mqtt int }
	ps := make([]ports, size)
	for i := range ps {
		ps[i] = ports{testenv.FreePort(t), testenv.FreePort(t), testenv.FreePort(t)}
	}
	c := &Cluster{t: t, bin: bin}
	var routes []string
	for j := range size {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ps[j].route))
	}
	for i := range size {
		n := &Node{
			Name:      fmt.Sprintf("n%d", i+1),
			ClientURL: fmt.Sprintf("nats://127.0.0.1:%d", ps[i].client),
			MQTTURL:   fmt.Sprintf("tcp://127.0.0.1:%d", ps[i].mqtt),
		}
		cluster := fmt.Sprintf(`cluster { name: "balance", listen: "127.0.0.1:%d", routes: [%s] }`, ps[i].route, strings.Join(routes, ", "))
		if size == 1 {
			cluster = ""
		}
		conf := fmt.Sprintf(`server_name: %s
listen: "127.0.0.1:%d"
jetstream { store_dir: %q, max_memory_store: 64MB, max_file_store: 1GB }
%s
mqtt { listen: "127.0.0.1:%d", stream_replicas: %d }
mappings { %q: %q }
`, n.Name, ps[i].client, filepath.Join(dir, n.Name), cluster, ps[i].mqtt, min(size, 3), src, dst)
		if opts.AuthCallout != nil {
			conf += opts.AuthCallout.conf()
		}
		n.conf = filepath.Join(dir, n.Name+".conf")
		if err := os.WriteFile(n.conf, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		var err error
		if n.log, err = os.Create(filepath.Join(dir, n.Name+".log")); err != nil {
			t.Fatal(err)
		}
		c.Nodes = append(c.Nodes, n)
	}
	for _, n := range c.Nodes {
		c.Start(n)
	}
	t.Cleanup(func() {
		for _, n := range c.Nodes {
			c.Kill(n)
			n.log.Close()
		}
		if t.Failed() {
			for _, n := range c.Nodes {
				b, _ := os.ReadFile(n.log.Name())
				if len(b) > 4000 {
					b = b[len(b)-4000:]
				}
				t.Logf("%s log tail:\n%s", n.Name, b)
			}
		}
	})
	return c
}

// Start starts n's process and waits until it listens.
func (c *Cluster) Start(n *Node) {
	c.t.Helper()
	n.cmd = exec.Command(c.bin, "-c", n.conf)
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	if err := n.cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", n.Name, err)
	}
	addr := strings.TrimPrefix(n.ClientURL, "nats://")
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s does not listen on %s", n.Name, addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill stops n with SIGKILL (kill -9) and waits for it.
func (c *Cluster) Kill(n *Node) {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	_ = n.cmd.Process.Kill()
	_ = n.cmd.Wait()
	n.cmd = nil
}

// ClientURLs returns the nodes' NATS URLs.
func (c *Cluster) ClientURLs() []string {
	var u []string
	for _, n := range c.Nodes {
		u = append(u, n.ClientURL)
	}
	return u
}

// ClientURLsAs returns the nodes' NATS URLs with user and password in
// them (nats://user:password@127.0.0.1:port), for a cluster started with
// static users; nats.Connect and WaitJetStream log in with them.
func (c *Cluster) ClientURLsAs(user, password string) []string {
	var u []string
	for _, n := range c.Nodes {
		p, err := url.Parse(n.ClientURL)
		if err != nil {
			c.t.Fatal(err)
		}
		p.User = url.UserPassword(user, password)
		u = append(u, p.String())
	}
	return u
}

// MQTTURLs returns the nodes' MQTT URLs.
func (c *Cluster) MQTTURLs() []string {
	var u []string
	for _, n := range c.Nodes {
		u = append(u, n.MQTTURL)
	}
	return u
}

// WaitJetStream waits up to 30 s until JetStream answers through urls
// (a cluster's meta leader is elected).
func WaitJetStream(t testing.TB, urls []string) {
	t.Helper()
	nc, err := nats.Connect(strings.Join(urls, ","))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("JetStream cluster not ready: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
