package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/balance-pt/balance/mqttauth"
)

// nonrootUID is the uid (and gid) of distroless's `nonroot` user.
const nonrootUID = "65532"

// dockerInstruction is one instruction of a Dockerfile, continuation lines
// joined.
type dockerInstruction struct {
	Cmd  string // upper case: FROM, RUN, COPY, ...
	Args string
}

// parseDockerfile splits a Dockerfile into stages (each starting at FROM) of
// instructions; comments and blank lines are dropped and lines ending in a
// backslash are joined, as the Docker builder reads them.
func parseDockerfile(t *testing.T, path string) [][]dockerInstruction {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var stages [][]dockerInstruction
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := dockerInstruction{Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)}
		if in.Cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("%s: %s before the first FROM", path, in.Cmd)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if s, ok := strings.CutSuffix(strings.TrimRight(line, " \t"), `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	return stages
}

// TestDockerfileCreatesDataForNonroot: the image runs as distroless's
// nonroot user with VOLUME /data, so /data must exist in the image owned by
// uid 65532 before VOLUME is declared; otherwise a new named volume is
// root-owned and balance cannot create its database (a crash loop under
// `restart: unless-stopped`).
func TestDockerfileCreatesDataForNonroot(t *testing.T) {
	stages := parseDockerfile(t, filepath.Join("..", "..", "deploy", "Dockerfile"))
	if len(stages) < 2 {
		t.Fatalf("want a build stage and a final stage, got %d stage(s)", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	buildName := ""
	if f := strings.Fields(build[0].Args); len(f) == 3 && strings.EqualFold(f[1], "AS") {
		buildName = f[2]
	}
	if buildName == "" {
		t.Fatalf("build stage %q has no name (FROM image AS name)", build[0].Args)
	}

	// The build stage makes a directory owned by 65532 ...
	var made string
	for _, in := range build {
		if in.Cmd == "RUN" && strings.Contains(in.Args, "chown "+nonrootUID+":"+nonrootUID+" ") {
			for _, part := range strings.Split(in.Args, "&&") {
				if f := strings.Fields(part); len(f) >= 3 && f[0] == "chown" && f[1] == nonrootUID+":"+nonrootUID {
					made = f[len(f)-1]
				}
			}
		}
	}
	if made == "" {
		t.Fatalf("the build stage creates no directory owned by %s:%s", nonrootUID, nonrootUID)
	}

	// ... which the final stage copies to /data with that owner, before
	// VOLUME /data (changes after VOLUME are discarded), and runs as 65532.
	copied, volume, user := -1, -1, ""
	for i, in := range final {
		switch in.Cmd {
		case "COPY":
			f := strings.Fields(in.Args)
			if slices.Contains(f, "--from="+buildName) && slices.Contains(f, "--chown="+nonrootUID+":"+nonrootUID) &&
				len(f) >= 2 && f[len(f)-2] == made && strings.TrimSuffix(f[len(f)-1], "/") == "/data" {
				copied = i
			}
		case "VOLUME":
			if strings.Contains(in.Args, "/data") {
				volume = i
			}
		case "USER":
			user = in.Args
		}
	}
	if copied < 0 {
		t.Fatalf("the final stage does not copy %s to /data with --chown=%s:%s", made, nonrootUID, nonrootUID)
	}
	if volume < 0 || volume < copied {
		t.Errorf("VOLUME /data at instruction %d, must come after /data is created (%d)", volume, copied)
	}
	if !strings.HasSuffix(final[0].Args, ":nonroot") && !strings.HasPrefix(user, nonrootUID) {
		t.Errorf("the final stage runs as %q on %q, want uid %s", user, final[0].Args, nonrootUID)
	}
	hasHealth := slices.ContainsFunc(final, func(in dockerInstruction) bool {
		return in.Cmd == "HEALTHCHECK" && strings.Contains(in.Args, `"healthcheck"`)
	})
	if !hasHealth {
		t.Error("the final stage has no HEALTHCHECK running `balance healthcheck`")
	}
}

// composeHealthcheck is a service's healthcheck in docker-compose.yml.
type composeHealthcheck struct {
	Test     []string `yaml:"test"`
	Interval string   `yaml:"interval"`
	Retries  int      `yaml:"retries"`
}

// TestComposeServicesHaveHealthchecks: every long-running service has a
// healthcheck, one-shot jobs (restart "no") are waited for until they
// complete, and the others until they are healthy. The checks that can run
// here are run: Mosquitto's against a real Mosquitto secured with files
// `balance mqtt-auth` wrote, balance's against a real HTTP server.
func TestComposeServicesHaveHealthchecks(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Restart     string                    `yaml:"restart"`
			Healthcheck *composeHealthcheck       `yaml:"healthcheck"`
			DependsOn   map[string]map[string]any `yaml:"depends_on"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	if len(doc.Services) == 0 {
		t.Fatal("no services")
	}
	for name, s := range doc.Services {
		for dep, cond := range s.DependsOn {
			want := "service_healthy"
			if doc.Services[dep].Restart == "no" {
				want = "service_completed_successfully"
			}
			if cond["condition"] != want {
				t.Errorf("service %s depends on %s with condition %v, want %s", name, dep, cond["condition"], want)
			}
		}
		if s.Restart == "no" {
			continue // a one-shot job
		}
		h := s.Healthcheck
		if h == nil || len(h.Test) < 2 || (h.Test[0] != "CMD" && h.Test[0] != "CMD-SHELL") {
			t.Errorf("service %s: healthcheck %+v, want test [CMD ...]", name, h)
			continue
		}
		if h.Interval == "" || h.Retries < 1 {
			t.Errorf("service %s: healthcheck without interval or retries: %+v", name, h)
		}
	}
	if len(doc.Services["balance"].DependsOn) == 0 {
		t.Error("balance does not wait for its services")
	}

	t.Run("mosquitto", func(t *testing.T) {
		h := doc.Services["mosquitto"].Healthcheck
		if h == nil || h.Test[0] != "CMD-SHELL" || !strings.HasPrefix(h.Test[1], "mosquitto_sub ") {
			t.Fatalf("mosquitto's healthcheck is %+v, want a mosquitto_sub shell command", h)
		}
		password := mqttauth.NewSecret()
		url := securedMosquitto(t, password)
		port := url[strings.LastIndex(url, ":")+1:]
		// Compose writes $ as $$; the check runs against the image's port
		// 1883, here the test broker's.
		cmd := strings.ReplaceAll(strings.ReplaceAll(h.Test[1], "$$", "$"), "-p 1883", "-p "+port)
		if !strings.Contains(cmd, "-p "+port) {
			t.Fatalf("healthcheck %q does not name port 1883", h.Test[1])
		}
		run := func(pw string) error {
			c := exec.Command("sh", "-c", cmd)
			c.Env = append(os.Environ(), "BALANCE_MQTT_PASSWORD="+pw)
			out, err := c.CombinedOutput()
			if err != nil {
				return fmt.Errorf("%v: %s", err, out)
			}
			return nil
		}
		if err := run(password); err != nil {
			t.Fatalf("mosquitto healthcheck %q against a secured Mosquitto: %v", cmd, err)
		}
		if err := run("wrong"); err == nil {
			t.Error("the healthcheck passed with a wrong password: it does not test what it should")
		}
	})

	t.Run("balance", func(t *testing.T) {
		h := doc.Services["balance"].Healthcheck
		if h == nil || len(h.Test) < 3 || h.Test[2] != "healthcheck" {
			t.Fatalf("balance's healthcheck is %+v, want the binary's healthcheck command", h)
		}
		args := slices.Clone(h.Test[3:])
		i := slices.Index(args, "--url")
		if i < 0 || i+1 >= len(args) || !strings.HasSuffix(args[i+1], "/healthz") {
			t.Fatalf("balance healthcheck args %v, want --url .../healthz", args)
		}
		healthy := true
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/healthz" || !healthy {
				http.Error(w, `{"status":"down"}`, http.StatusServiceUnavailable)
				return
			}
			w.Write([]byte(`{"status":"ok"}`))
		}))
		defer srv.Close()
		args[i+1] = srv.URL + "/healthz"
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), append([]string{"healthcheck"}, args...), &stdout, &stderr); err != nil {
			t.Fatalf("healthcheck of a healthy instance: %v", err)
		}
		healthy = false
		if err := run(context.Background(), append([]string{"healthcheck"}, args...), &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "503") {
			t.Fatalf("healthcheck of an unhealthy instance: err = %v, want 503", err)
		}
		srv.Close()
		if err := run(context.Background(), append([]string{"healthcheck"}, args...), &stdout, &stderr); err == nil {
			t.Fatal("healthcheck with nothing listening succeeded")
		}
	})
}

// TestDockerignoreKeepsStateOut: the build context leaves out the git
// history and any local data directory (patients' data must never end up in
// an image layer).
func TestDockerignoreKeepsStateOut(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
		}
	}
	for _, want := range []string{".git", "**/balance-data"} {
		if !slices.Contains(patterns, want) {
			t.Errorf(".dockerignore lacks %q (has %v)", want, patterns)
		}
	}
	// Files the build needs must not be excluded.
	for _, need := range []string{"go.mod", "go.sum", "cmd", "progression", "sqlite", "dashboard"} {
		for _, p := range patterns {
			if m, _ := filepath.Match(p, need); m || p == need {
				t.Errorf(".dockerignore pattern %q excludes %s, which the build needs", p, need)
			}
		}
	}
}

// TestMosquittoConfIsSecureByDefault: deploy/mosquitto.conf refuses
// anonymous clients, reads the password and ACL files `balance mqtt-auth`
// writes into balance's data volume at the path the compose file mounts it,
// and makes the client id the user name (the settings
// TestMosquittoAppliesTheDeviceRules runs a real Mosquitto with); the
// compose file publishes plain MQTT on loopback only.
func TestMosquittoConfIsSecureByDefault(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "mosquitto.conf"))
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && !strings.HasPrefix(f[0], "#") {
			set[f[0]] = strings.Join(f[1:], " ")
		}
	}
	for key, want := range map[string]string{"allow_anonymous": "false", "use_username_as_clientid": "true",
		"password_file": "/balance-data/mqtt-auth/passwd", "acl_file": "/balance-data/mqtt-auth/acl"} {
		if set[key] != want {
			t.Errorf("mosquitto.conf %s = %q, want %q", key, set[key], want)
		}
	}
	c, err := os.ReadFile(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Command []string `yaml:"command"`
			Ports   []string `yaml:"ports"`
			Volumes []string `yaml:"volumes"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(c, &doc); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(doc.Services["mosquitto"].Volumes, "balance-data:/balance-data:ro") {
		t.Errorf("mosquitto volumes %v lack balance-data:/balance-data:ro", doc.Services["mosquitto"].Volumes)
	}
	if cmd := doc.Services["mqtt-auth"].Command; !slices.Contains(cmd, "mqtt-auth") || !slices.Contains(cmd, "/data/mqtt-auth") {
		t.Errorf("mqtt-auth job command %v, want balance mqtt-auth --out /data/mqtt-auth", cmd)
	}
	for _, p := range doc.Services["mosquitto"].Ports {
		if !strings.HasPrefix(p, "127.0.0.1:") {
			t.Errorf("mosquitto publishes %s beyond loopback", p)
		}
	}
}
