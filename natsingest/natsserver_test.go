package natsingest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance/internal/testenv"
)

// natsServerPath finds nats-server: $BALANCE_NATS_SERVER, then each
// GOPATH's bin (where scripts/test.sh installs v2.15.3), then PATH. It fails
// the test when none is found or the one found predates 2.14 (consumer
// reset). It never skips.
func natsServerPath(t testing.TB) string {
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
	for _, p := range cands {
		out, err := exec.Command(p, "--version").Output()
		if err != nil {
			continue
		}
		m := regexp.MustCompile(`v(\d+)\.(\d+)\.`).FindSubmatch(out)
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

// natsNode is one nats-server process of a test cluster.
type natsNode struct {
	name      string
	conf      string
	clientURL string
	mqttURL   string
	cmd       *exec.Cmd
	log       *os.File
}

// natsCluster is a cluster of nats-server processes on loopback ports, each
// with JetStream and MQTT and the partition mapping for partitions (size 1:
// a single server, no cluster).
type natsCluster struct {
	t     testing.TB
	bin   string
	nodes []*natsNode
}

func startNATSCluster(t testing.TB, size, partitions int) *natsCluster {
	t.Helper()
	bin := natsServerPath(t)
	dir := t.TempDir()
	type ports struct{ client, route, mqtt int }
	ps := make([]ports, size)
	for i := range ps {
		ps[i] = ports{testenv.FreePort(t), testenv.FreePort(t), testenv.FreePort(t)}
	}
	src, dst := Mapping(partitions)
	c := &natsCluster{t: t, bin: bin}
	for i := range size {
		var routes []string
		for j := range size {
			routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ps[j].route))
		}
		n := &natsNode{
			name:      fmt.Sprintf("n%d", i+1),
			clientURL: fmt.Sprintf("nats://127.0.0.1:%d", ps[i].client),
			mqttURL:   fmt.Sprintf("tcp://127.0.0.1:%d", ps[i].mqtt),
		}
		store := filepath.Join(dir, n.name)
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
`, n.name, ps[i].client, store, cluster, ps[i].mqtt, min(size, 3), src, dst)
		n.conf = filepath.Join(dir, n.name+".conf")
		if err := os.WriteFile(n.conf, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		var err error
		if n.log, err = os.Create(filepath.Join(dir, n.name+".log")); err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, n)
	}
	for _, n := range c.nodes {
		c.start(n)
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			c.kill(n)
			n.log.Close()
		}
		if t.Failed() {
			for _, n := range c.nodes {
				b, _ := os.ReadFile(n.log.Name())
				if len(b) > 4000 {
					b = b[len(b)-4000:]
				}
				t.Logf("%s log tail:\n%s", n.name, b)
			}
		}
	})
	return c
}

func (c *natsCluster) start(n *natsNode) {
	c.t.Helper()
	n.cmd = exec.Command(c.bin, "-c", n.conf)
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	if err := n.cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", n.name, err)
	}
	addr := strings.TrimPrefix(n.clientURL, "nats://")
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s does not listen on %s", n.name, addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill stops n with SIGKILL (kill -9) and waits for it.
func (c *natsCluster) kill(n *natsNode) {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	_ = n.cmd.Process.Kill()
	_ = n.cmd.Wait()
	n.cmd = nil
}

func (c *natsCluster) clientURLs() []string {
	var u []string
	for _, n := range c.nodes {
		u = append(u, n.clientURL)
	}
	return u
}
