package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
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

// TestComposeServicesHaveHealthchecks: every service has a healthcheck, and
// balance waits for the others to be healthy. The checks that can run here
// are run: Mosquitto's against the test broker, balance's against a real
// HTTP server.
func TestComposeServicesHaveHealthchecks(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
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
		h := s.Healthcheck
		if h == nil || len(h.Test) < 2 || (h.Test[0] != "CMD" && h.Test[0] != "CMD-SHELL") {
			t.Errorf("service %s: healthcheck %+v, want test [CMD ...]", name, h)
			continue
		}
		if h.Interval == "" || h.Retries < 1 {
			t.Errorf("service %s: healthcheck without interval or retries: %+v", name, h)
		}
		for dep, cond := range s.DependsOn {
			if cond["condition"] != "service_healthy" {
				t.Errorf("service %s depends on %s with condition %v, want service_healthy", name, dep, cond["condition"])
			}
		}
	}
	if len(doc.Services["balance"].DependsOn) == 0 {
		t.Error("balance does not wait for its services")
	}

	t.Run("mosquitto", func(t *testing.T) {
		h := doc.Services["mosquitto"].Healthcheck
		if h == nil || h.Test[1] != "mosquitto_sub" {
			t.Fatalf("mosquitto's healthcheck is %+v, want mosquitto_sub", h)
		}
		// Compose writes $ as $$; the port stays the image's 1883, which is
		// where the test broker listens too.
		args := make([]string, 0, len(h.Test)-2)
		for _, a := range h.Test[2:] {
			args = append(args, strings.ReplaceAll(a, "$$", "$"))
		}
		bin, err := exec.LookPath("mosquitto_sub")
		if err != nil {
			t.Fatalf("mosquitto_sub not installed (./scripts/test.sh installs mosquitto-clients): %v", err)
		}
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("mosquitto healthcheck %v against the test broker: %v: %s", args, err, out)
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
