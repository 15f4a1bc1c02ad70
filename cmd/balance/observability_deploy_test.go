package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/monitor"
	"github.com/balance-pt/balance/sim"
	"github.com/balance-pt/balance/wire"
)

// repoFile is the path of a file of the repository from this package's
// directory.
func repoFile(rel string) string { return filepath.Join("..", "..", filepath.FromSlash(rel)) }

// obsCompose is the part of docker-compose.yml these tests read.
type obsCompose struct {
	Services map[string]struct {
		Image       string                    `yaml:"image"`
		Command     []string                  `yaml:"command"`
		Environment map[string]string         `yaml:"environment"`
		Volumes     []string                  `yaml:"volumes"`
		Ports       []string                  `yaml:"ports"`
		DependsOn   map[string]map[string]any `yaml:"depends_on"`
		Healthcheck *composeHealthcheck       `yaml:"healthcheck"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func readCompose(t *testing.T) obsCompose {
	t.Helper()
	var doc obsCompose
	if err := readYAML(repoFile("docker-compose.yml"), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func readYAML(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// mountTarget returns where service mounts the repository path src (e.g.
// "./deploy/prometheus/prometheus.yml"), or "".
func (c obsCompose) mountTarget(service, src string) string {
	for _, v := range c.Services[service].Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[0] == src {
			return parts[1]
		}
	}
	return ""
}

// ---------------------------------------------------------------------------
// Prometheus alert rules

// promRule is one rule of a Prometheus rule file.
type promRule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type promRuleFile struct {
	Groups []struct {
		Name     string     `yaml:"name"`
		Interval string     `yaml:"interval"`
		Rules    []promRule `yaml:"rules"`
	} `yaml:"groups"`
}

// TestPrometheusRulesFile: deploy/prometheus/balance-rules.yaml is a valid
// Prometheus rule file whose every rule has alert, expr, a parseable for,
// a known severity and a summary and description, and whose every
// expression is well formed (balanced brackets, known functions, valid
// ranges, the checks PromQL's grammar makes on selectors) and names only
// metrics and labels that a running balance exposes on its /metrics, which
// answers without credentials as prometheus.yml scrapes it. A rule on a
// misspelt metric or label would never fire, silently: this is what fails.
func TestPrometheusRulesFile(t *testing.T) {
	var rf promRuleFile
	if err := readYAML(repoFile("deploy/prometheus/balance-rules.yaml"), &rf); err != nil {
		t.Fatal(err)
	}
	var rules []promRule
	seenGroup, seenAlert := map[string]bool{}, map[string]bool{}
	for _, g := range rf.Groups {
		if g.Name == "" || seenGroup[g.Name] {
			t.Errorf("group name %q empty or repeated", g.Name)
		}
		seenGroup[g.Name] = true
		if len(g.Rules) == 0 {
			t.Errorf("group %s has no rules", g.Name)
		}
		for _, r := range g.Rules {
			if r.Alert == "" || r.Record != "" {
				t.Errorf("group %s: rule %+v is not an alerting rule", g.Name, r)
				continue
			}
			if seenAlert[r.Alert] {
				t.Errorf("alert %s defined twice", r.Alert)
			}
			seenAlert[r.Alert] = true
			if strings.TrimSpace(r.Expr) == "" {
				t.Errorf("alert %s has no expr", r.Alert)
			}
			if r.For == "" {
				t.Errorf("alert %s has no for: (say 0m when it must fire at once)", r.Alert)
			} else if _, err := model.ParseDuration(r.For); err != nil {
				t.Errorf("alert %s: for %q: %v", r.Alert, r.For, err)
			}
			if s := r.Labels["severity"]; !slices.Contains([]string{"critical", "warning", "info"}, s) {
				t.Errorf("alert %s: severity %q, want critical, warning or info", r.Alert, s)
			}
			for _, a := range []string{"summary", "description"} {
				if len(strings.TrimSpace(r.Annotations[a])) < 15 {
					t.Errorf("alert %s: annotation %s %q is missing or too short to help", r.Alert, a, r.Annotations[a])
				}
			}
			rules = append(rules, r)
		}
	}
	if len(rules) < 10 {
		t.Fatalf("%d alerting rules, want the pipeline's (at least 10)", len(rules))
	}
	// The rules operators rely on exist (by the metric they watch).
	for _, m := range []string{"up", "balance_mqtt_connected", "balance_ingest_write_errors_total", "balance_ingest_spool_full",
		"balance_ingest_spool_bytes", "balance_ingest_batches_lost_total", "balance_alert_deliveries_failed_total",
		"balance_alert_delivery_delay_seconds_bucket", "balance_ingest_samples_stored_total"} {
		if !slices.ContainsFunc(rules, func(r promRule) bool { return slices.Contains(promMetricNames(r.Expr), m) }) {
			t.Errorf("no rule watches %s", m)
		}
	}

	var scrapeCfg promConfig
	if err := readYAML(repoFile("deploy/prometheus/prometheus.yml"), &scrapeCfg); err != nil {
		t.Fatal(err)
	}
	job := scrapeCfg.job("balance")
	if job == nil {
		t.Fatal("prometheus.yml has no scrape job \"balance\"")
	}

	exp := exposedMetrics(t)
	for _, r := range rules {
		sels, err := parsePromQL(r.Expr)
		if err != nil {
			t.Errorf("alert %s: expr %q: %v", r.Alert, r.Expr, err)
			continue
		}
		if len(sels) == 0 {
			t.Errorf("alert %s: expr %q selects no metric", r.Alert, r.Expr)
		}
		for _, s := range sels {
			if err := exp.check(s, job.JobName); err != nil {
				t.Errorf("alert %s: %v", r.Alert, err)
			}
		}
	}
	if len(exp.unseen) > 0 {
		t.Logf("metrics without series in the scrape, checked against the registry and their definitions: %v", slices.Sorted(maps.Keys(exp.unseen)))
	}
}

// promConfig is the part of prometheus.yml these tests read.
type promConfig struct {
	Global struct {
		ScrapeInterval     string `yaml:"scrape_interval"`
		EvaluationInterval string `yaml:"evaluation_interval"`
	} `yaml:"global"`
	RuleFiles     []string `yaml:"rule_files"`
	ScrapeConfigs []struct {
		JobName       string         `yaml:"job_name"`
		MetricsPath   string         `yaml:"metrics_path"`
		Scheme        string         `yaml:"scheme"`
		BasicAuth     map[string]any `yaml:"basic_auth"`
		Authorization map[string]any `yaml:"authorization"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

func (c *promConfig) job(name string) *struct {
	JobName       string         `yaml:"job_name"`
	MetricsPath   string         `yaml:"metrics_path"`
	Scheme        string         `yaml:"scheme"`
	BasicAuth     map[string]any `yaml:"basic_auth"`
	Authorization map[string]any `yaml:"authorization"`
	StaticConfigs []struct {
		Targets []string `yaml:"targets"`
	} `yaml:"static_configs"`
} {
	for i := range c.ScrapeConfigs {
		if c.ScrapeConfigs[i].JobName == name {
			return &c.ScrapeConfigs[i]
		}
	}
	return nil
}

// TestPrometheusScrapeConfig: deploy/prometheus/prometheus.yml loads the
// rules file from where docker-compose.yml mounts it, and scrapes balance
// where the compose stack serves it: the balance service's HTTP port
// (deploy/balance.compose.yaml) and the path /metrics, without
// credentials, since balance serves /metrics open (checked against a
// running balance in TestPrometheusRulesFile).
func TestPrometheusScrapeConfig(t *testing.T) {
	var pc promConfig
	if err := readYAML(repoFile("deploy/prometheus/prometheus.yml"), &pc); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{pc.Global.ScrapeInterval, pc.Global.EvaluationInterval} {
		if _, err := model.ParseDuration(d); err != nil {
			t.Errorf("global interval %q: %v", d, err)
		}
	}
	c := readCompose(t)
	rulesAt := c.mountTarget("prometheus", "./deploy/prometheus/balance-rules.yaml")
	if rulesAt == "" || !slices.Contains(pc.RuleFiles, rulesAt) {
		t.Errorf("rule_files %v, want the path compose mounts the rules file at (%q)", pc.RuleFiles, rulesAt)
	}
	cfgAt := c.mountTarget("prometheus", "./deploy/prometheus/prometheus.yml")
	if cfgAt == "" || !slices.Contains(c.Services["prometheus"].Command, "--config.file="+cfgAt) {
		t.Errorf("prometheus runs %v; want --config.file=%s, where compose mounts prometheus.yml", c.Services["prometheus"].Command, cfgAt)
	}
	job := pc.job("balance")
	if job == nil {
		t.Fatal("no scrape job balance")
	}
	if job.MetricsPath != "" && job.MetricsPath != "/metrics" {
		t.Errorf("metrics_path %q, want /metrics", job.MetricsPath)
	}
	if job.Scheme != "" && job.Scheme != "http" {
		t.Errorf("scheme %q: the compose stack's balance serves plain HTTP", job.Scheme)
	}
	if job.BasicAuth != nil || job.Authorization != nil {
		t.Error("the balance job sends credentials, but /metrics is open (and a credential here would be a secret in the repository)")
	}
	var appCfg struct {
		HTTP struct {
			Addr string `yaml:"addr"`
		} `yaml:"http"`
	}
	if err := readYAML(repoFile("deploy/balance.compose.yaml"), &appCfg); err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(appCfg.HTTP.Addr, ":")
	var targets []string
	for _, sc := range job.StaticConfigs {
		targets = append(targets, sc.Targets...)
	}
	if want := "balance:" + port; len(targets) != 1 || targets[0] != want {
		t.Errorf("balance job targets %v, want [%s] (the compose service and its http.addr port)", targets, want)
	}
	if _, ok := c.Services["balance"]; !ok {
		t.Error("compose has no balance service to scrape")
	}
}

// exposed is what a running balance exposes: the metric families of a
// real /metrics scrape with their label names, and its registry, which
// also knows the labelled metrics that have no series yet.
type exposed struct {
	families map[string]*dto.MetricFamily
	labels   map[string]map[string]bool // family -> label names seen
	reg      *prometheus.Registry
	unseen   map[string]bool // families found only in the registry
}

// exposedMetrics starts balance (embedded broker and store, two webhook
// recipients of which one refuses), makes it ingest a batch, reject a bad
// message and deliver and fail an alert, and scrapes its /metrics over
// HTTP without credentials.
func exposedMetrics(t *testing.T) *exposed {
	t.Helper()
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(ok.Close)
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) }))
	t.Cleanup(refuse.Close)
	cfg := testConfig(t, fmt.Sprintf(`patients:
  - {id: p0, name: Patient 0}
devices:
  - {id: d0, patient_id: p0}
alerts:
  recipients:
    - {name: ok, role: on_call, kinds: [fall], webhook: {url: %q, secrets: [%q]}}
    - {name: gone, role: caregiver, kinds: [fall], webhook: {url: %q, secrets: [%q]}}
`, ok.URL, testSecret, refuse.URL, testSecret))
	app := openApp(t, cfg)
	ctx := context.Background()

	cl := deviceClient(t, app, "d0")
	now := time.Now()
	b := &balance.Batch{DeviceID: "d0", RateHz: 100}
	for i := range 100 {
		b.Samples = append(b.Samples, balance.Sample{TimeNS: now.Add(time.Duration(i-100) * 10 * time.Millisecond).UnixNano(), Acc: [3]float64{0, 0, 9.81}})
	}
	for _, payload := range [][]byte{wire.AppendJSON(nil, b, wire.JSONOptions{}), []byte("{not json")} {
		if tk := cl.Publish(wire.Topic("d0", wire.KindIMU), 1, false, payload); !tk.WaitTimeout(10*time.Second) || tk.Error() != nil {
			t.Fatalf("publish: %v", tk.Error())
		}
	}
	if err := app.Alerts.Raise(ctx, balance.Alert{ID: "fall-p0-metrics", Kind: balance.AlertFall, Severity: balance.SeverityUrgent,
		PatientID: "p0", Summary: "Fall detected", GroupKey: "p0/fall", OccurredAt: now.UTC()}); err != nil {
		t.Fatal(err)
	}

	base := "http://" + app.HTTPAddr()
	e := &exposed{reg: app.Registry, unseen: map[string]bool{}}
	want := []string{"balance_ingest_samples_stored_total", "balance_ingest_rejected_total",
		"balance_alert_delivery_delay_seconds", "balance_alert_deliveries_failed_total"}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		fams, err := scrape(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		e.families = fams
		missing := slices.DeleteFunc(slices.Clone(want), func(n string) bool { return fams[n] != nil })
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after ingest, a rejected message and an alert, /metrics still lacks %v", missing)
		}
	}
	e.labels = map[string]map[string]bool{}
	for name, f := range e.families {
		e.labels[name] = map[string]bool{}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				e.labels[name][l.GetName()] = true
			}
		}
	}
	return e
}

// scrape reads a Prometheus text exposition from url, without credentials.
func scrape(url string) (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s without credentials: status %d", url, resp.StatusCode)
	}
	fams := map[string]*dto.MetricFamily{}
	dec := expfmt.NewDecoder(resp.Body, expfmt.ResponseFormat(resp.Header))
	for {
		var f dto.MetricFamily
		if err := dec.Decode(&f); errors.Is(err, io.EOF) {
			return fams, nil
		} else if err != nil {
			return nil, fmt.Errorf("scrape %s: %w", url, err)
		}
		fams[f.GetName()] = &f
	}
}

// registered reports whether the app's registry has a metric of this name
// (with or without series): registering a probe of the same name is
// refused then.
func (e *exposed) registered(name string) bool {
	probe := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "probe of the observability test"})
	if err := e.reg.Register(probe); err != nil {
		return strings.Contains(err.Error(), "fully-qualified name")
	}
	e.reg.Unregister(probe)
	return false
}

// targetLabels are the labels Prometheus attaches to every scraped series.
var targetLabels = []string{"job", "instance"}

// check verifies one selector of a rule: its metric is exposed (a
// histogram's _bucket, _sum and _count included) and its label names are
// the metric's; job="..." names the scrape job.
func (e *exposed) check(s promSelector, job string) error {
	name, base := s.Metric, s.Metric
	if name == "up" {
		for _, m := range s.Matchers {
			if m.Label == "job" && m.Op == "=" && m.Value != job {
				return fmt.Errorf("up{job=%q}: the scrape job is %q", m.Value, job)
			}
		}
		if !slices.ContainsFunc(s.Matchers, func(m promMatcher) bool { return m.Label == "job" }) {
			return errors.New("up without a job matcher would watch every target, not balance")
		}
		return nil
	}
	extra := []string{}
	f := e.families[name]
	if f == nil {
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(name, suf); ok {
				if bf := e.families[b]; bf != nil && (bf.GetType() == dto.MetricType_HISTOGRAM || bf.GetType() == dto.MetricType_SUMMARY) {
					f, base = bf, b
					if suf == "_bucket" {
						extra = append(extra, "le")
					}
				}
			}
		}
	}
	var labels map[string]bool
	if f != nil {
		labels = e.labels[base]
	} else {
		if !e.registered(name) {
			return fmt.Errorf("metric %s is neither on balance's /metrics nor registered in its registry", name)
		}
		// Registered, but no series yet (a labelled counter never
		// incremented): its label names come from its definition.
		l, err := sourceLabels(name)
		if err != nil {
			return err
		}
		labels = map[string]bool{}
		for _, n := range l {
			labels[n] = true
		}
		e.unseen[name] = true
	}
	for _, l := range s.Labels() {
		if !labels[l] && !slices.Contains(targetLabels, l) && !slices.Contains(extra, l) {
			have := make([]string, 0, len(labels))
			for k := range labels {
				have = append(have, k)
			}
			sort.Strings(have)
			return fmt.Errorf("%s has no label %q (it has %v)", name, l, have)
		}
	}
	return nil
}

// sourceLabels returns the variable label names of metric name as its
// definition in the repository's Go source declares them
// (Name: "...", ... []string{...}).
func sourceLabels(name string) ([]string, error) {
	re := regexp.MustCompile(`Name:\s*"` + regexp.QuoteMeta(name) + `"[^[]*?\}\s*,\s*\[\]string\{([^}]*)\}`)
	var found []string
	err := filepath.WalkDir(repoFile("."), func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if m := re.FindSubmatch(b); m != nil {
			for _, q := range strings.Split(string(m[1]), ",") {
				if q = strings.Trim(strings.TrimSpace(q), `"`); q != "" {
					found = append(found, q)
				}
			}
			return filepath.SkipAll
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("labels of %s: %w", name, err)
	}
	if found == nil {
		return nil, fmt.Errorf("metric %s has no series on /metrics and no labelled definition in the source", name)
	}
	return found, nil
}

// ---------------------------------------------------------------------------
// A PromQL checker. The Prometheus parser (github.com/prometheus/prometheus)
// would add a large module to go.mod; this checks what matters for rules on
// balance's metrics: tokens, balanced brackets, function names, durations,
// selectors with their label matchers, and grouping labels.

// promMatcher is one label matcher of a selector.
type promMatcher struct{ Label, Op, Value string }

// promSelector is a metric selector with its matchers and the grouping
// labels (by, without, on, ignoring, group_left/right) applied around it.
type promSelector struct {
	Metric   string
	Matchers []promMatcher
	Grouping []string
}

// Labels returns every label name the selector and its groupings name.
func (s promSelector) Labels() []string {
	var out []string
	for _, m := range s.Matchers {
		out = append(out, m.Label)
	}
	return append(out, s.Grouping...)
}

var promFunctions = map[string]bool{
	"abs": true, "absent": true, "absent_over_time": true, "avg_over_time": true, "ceil": true, "changes": true,
	"clamp": true, "clamp_max": true, "clamp_min": true, "count_over_time": true, "day_of_month": true, "day_of_week": true,
	"delta": true, "deriv": true, "exp": true, "floor": true, "histogram_quantile": true, "holt_winters": true, "hour": true,
	"idelta": true, "increase": true, "irate": true, "label_join": true, "label_replace": true, "last_over_time": true,
	"ln": true, "log10": true, "log2": true, "max_over_time": true, "min_over_time": true, "minute": true, "month": true,
	"predict_linear": true, "present_over_time": true, "quantile_over_time": true, "rate": true, "resets": true,
	"round": true, "scalar": true, "sgn": true, "sort": true, "sort_desc": true, "sqrt": true, "stddev_over_time": true,
	"stdvar_over_time": true, "sum_over_time": true, "time": true, "timestamp": true, "vector": true, "year": true,
}

var promAggregations = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true, "count": true,
	"count_values": true, "bottomk": true, "topk": true, "quantile": true,
}

var promKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "atan2": true, "bool": true, "offset": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// rangeFunctions take a range vector (name[5m]) as their argument.
var rangeFunctions = map[string]bool{
	"rate": true, "irate": true, "increase": true, "delta": true, "idelta": true, "deriv": true, "changes": true,
	"resets": true, "predict_linear": true, "absent_over_time": true, "present_over_time": true,
}

type promToken struct {
	kind string // ident, number, string, duration, op, or the bracket itself
	text string
}

func lexPromQL(expr string) ([]promToken, error) {
	var toks []promToken
	isIdent := func(c byte, first bool) bool {
		return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
	}
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#':
			return nil, errors.New("comment in expression")
		case strings.IndexByte("(){}[],", c) >= 0:
			toks = append(toks, promToken{string(c), string(c)})
			i++
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for j < len(expr) && expr[j] != c {
				if expr[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			if j >= len(expr) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			s, err := strconv.Unquote(`"` + strings.ReplaceAll(expr[i+1:j], `"`, `\"`) + `"`)
			if c == '`' {
				s, err = expr[i+1:j], nil
			}
			if err != nil {
				return nil, fmt.Errorf("string at %d: %w", i, err)
			}
			toks = append(toks, promToken{"string", s})
			i = j + 1
		case c >= '0' && c <= '9' || c == '.':
			j := i
			for j < len(expr) && (expr[j] >= '0' && expr[j] <= '9' || expr[j] == '.' || expr[j] == 'e' || isIdent(expr[j], false)) {
				j++
			}
			text := expr[i:j]
			if _, err := strconv.ParseFloat(text, 64); err == nil {
				toks = append(toks, promToken{"number", text})
			} else if _, err := model.ParseDuration(text); err == nil {
				toks = append(toks, promToken{"duration", text})
			} else {
				return nil, fmt.Errorf("bad number or duration %q", text)
			}
			i = j
		case isIdent(c, true):
			j := i
			for j < len(expr) && isIdent(expr[j], false) {
				j++
			}
			toks = append(toks, promToken{"ident", expr[i:j]})
			i = j
		default:
			j := i
			for j < len(expr) && strings.IndexByte("+-*/%^=!<>~", expr[j]) >= 0 {
				j++
			}
			op := expr[i:j]
			if !slices.Contains([]string{"+", "-", "*", "/", "%", "^", "==", "!=", "<", "<=", ">", ">=", "=", "=~", "!~"}, op) {
				return nil, fmt.Errorf("unexpected %q at %d", expr[i:max(j, i+1)], i)
			}
			toks = append(toks, promToken{"op", op})
			i = j
		}
	}
	return toks, nil
}

// parsePromQL checks expr and returns its metric selectors.
func parsePromQL(expr string) ([]promSelector, error) {
	toks, err := lexPromQL(expr)
	if err != nil {
		return nil, err
	}
	// Brackets balance and nest properly.
	var stack []string
	pairs := map[string]string{")": "(", "}": "{", "]": "["}
	for _, tk := range toks {
		switch tk.kind {
		case "(", "{", "[":
			stack = append(stack, tk.kind)
		case ")", "}", "]":
			if len(stack) == 0 || stack[len(stack)-1] != pairs[tk.kind] {
				return nil, fmt.Errorf("unbalanced %q", tk.kind)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("unclosed %q", stack[len(stack)-1])
	}
	var sels []promSelector
	// frames holds, per open parenthesis of a call, the function called
	// ("" for plain grouping), the selectors inside it and the grouping
	// labels of "sum by (x) (...)".
	type frame struct {
		fn    string
		sels  []int
		group []string
	}
	var frames []frame
	var pendingGroup []string // labels of "by (x)" read before the aggregation's parenthesis
	var lastClosed []int      // selectors of the parenthesis just closed
	var matching []string     // labels of on (...), ignoring (...), group_left (...)
	for i := 0; i < len(toks); i++ {
		tk := toks[i]
		next := func(k int) promToken {
			if i+k < len(toks) {
				return toks[i+k]
			}
			return promToken{}
		}
		switch tk.kind {
		case "ident":
			switch {
			case promKeywords[tk.text]:
				if !slices.Contains([]string{"by", "without", "on", "ignoring", "group_left", "group_right"}, tk.text) {
					continue
				}
				if next(1).kind != "(" {
					if tk.text == "group_left" || tk.text == "group_right" {
						continue
					}
					return nil, fmt.Errorf("%s needs a label list in parentheses", tk.text)
				}
				var labels []string
				j := i + 2
				for ; j < len(toks) && toks[j].kind != ")"; j++ {
					if toks[j].kind == "ident" {
						labels = append(labels, toks[j].text)
					} else if toks[j].kind != "," {
						return nil, fmt.Errorf("%s: %q is not a label name", tk.text, toks[j].text)
					}
				}
				prefix := i > 0 && toks[i-1].kind == "ident" && promAggregations[toks[i-1].text]
				i = j
				switch {
				case tk.text != "by" && tk.text != "without":
					matching = append(matching, labels...)
				case prefix:
					if next(1).kind != "(" {
						return nil, fmt.Errorf("%s (...) must be followed by the aggregated expression", tk.text)
					}
					pendingGroup = labels
				case lastClosed != nil:
					for _, k := range lastClosed {
						sels[k].Grouping = append(sels[k].Grouping, labels...)
					}
				default:
					return nil, fmt.Errorf("%s (...) belongs to an aggregation", tk.text)
				}
			case next(1).kind == "(":
				if !promFunctions[tk.text] && !promAggregations[tk.text] {
					return nil, fmt.Errorf("unknown function %s", tk.text)
				}
			case promAggregations[tk.text] && (next(1).text == "by" || next(1).text == "without"):
				// sum by (x) (...)
			default:
				s := promSelector{Metric: tk.text}
				if next(1).kind == "{" {
					j := i + 2
					for ; j < len(toks) && toks[j].kind != "}"; j++ {
						if toks[j].kind == "," {
							continue
						}
						if j+2 >= len(toks) || toks[j].kind != "ident" || toks[j+1].kind != "op" || toks[j+2].kind != "string" ||
							!slices.Contains([]string{"=", "!=", "=~", "!~"}, toks[j+1].text) {
							return nil, fmt.Errorf("%s: bad label matcher at %q", tk.text, toks[j].text)
						}
						if strings.HasSuffix(toks[j+1].text, "~") {
							if _, err := regexp.Compile("^(?:" + toks[j+2].text + ")$"); err != nil {
								return nil, fmt.Errorf("%s: regexp %q: %w", tk.text, toks[j+2].text, err)
							}
						}
						s.Matchers = append(s.Matchers, promMatcher{toks[j].text, toks[j+1].text, toks[j+2].text})
						j += 2
					}
					i = j
				}
				rangeSel := false
				if i+1 < len(toks) && toks[i+1].kind == "[" {
					if i+3 >= len(toks) || toks[i+2].kind != "duration" || toks[i+3].kind != "]" {
						return nil, fmt.Errorf("%s: bad range", tk.text)
					}
					rangeSel = true
					i += 3
				}
				fn := ""
				if len(frames) > 0 {
					fn = frames[len(frames)-1].fn
				}
				if rangeSel != (rangeFunctions[fn] || strings.HasSuffix(fn, "_over_time")) {
					return nil, fmt.Errorf("%s: a range vector goes with rate, increase, changes, *_over_time..., an instant vector elsewhere (here in %q)", tk.text, fn)
				}
				sels = append(sels, s)
				for k := range frames {
					frames[k].sels = append(frames[k].sels, len(sels)-1)
				}
			}
		case "(":
			f := frame{}
			if i > 0 && toks[i-1].kind == "ident" && !promKeywords[toks[i-1].text] {
				f.fn = toks[i-1].text
			}
			if pendingGroup != nil {
				f.fn, f.group, pendingGroup = "aggregation", pendingGroup, nil
			}
			frames = append(frames, f)
		case ")":
			f := frames[len(frames)-1]
			frames = frames[:len(frames)-1]
			for _, k := range f.sels {
				sels[k].Grouping = append(sels[k].Grouping, f.group...)
			}
			lastClosed = nil
			if promAggregations[f.fn] || f.fn == "aggregation" {
				lastClosed = f.sels
			}
		case "duration":
			return nil, fmt.Errorf("duration %s outside a range", tk.text)
		}
	}
	for k := range sels {
		sels[k].Grouping = append(sels[k].Grouping, matching...)
	}
	return sels, nil
}

// promMetricNames returns the metric names an expression selects, or nil
// if it does not parse.
func promMetricNames(expr string) []string {
	sels, err := parsePromQL(expr)
	if err != nil {
		return nil
	}
	var out []string
	for _, s := range sels {
		out = append(out, s.Metric)
	}
	return out
}

// TestPromQLCheckerCatchesMistakes: the checker that
// TestPrometheusRulesFile relies on refuses the mistakes it exists for.
func TestPromQLCheckerCatchesMistakes(t *testing.T) {
	good := map[string][]string{
		`up{job="balance"} == 0`: {"up"},
		`sum by (channel, le) (rate(balance_alert_delivery_delay_seconds_bucket[30m]))`:                {"balance_alert_delivery_delay_seconds_bucket"},
		`a > 0 and (sum(rate(b[10m])) or vector(0)) == 0`:                                              {"a", "b"},
		`histogram_quantile(0.99, sum(rate(x_bucket{k=~"a|b"}[5m])) by (le)) > 2`:                      {"x_bucket"},
		`min_over_time(balance_ingest_spool_batches[30m]) > 0`:                                         {"balance_ingest_spool_batches"},
		`balance_ingest_spool_bytes / balance_ingest_spool_budget_bytes > 0.5`:                         {"balance_ingest_spool_bytes", "balance_ingest_spool_budget_bytes"},
		`sum by (reason) (increase(balance_ingest_rejected_total[30m])) > 10`:                          {"balance_ingest_rejected_total"},
		`changes(process_start_time_seconds{job="balance"}[30m]) > 2`:                                  {"process_start_time_seconds"},
		`balance_alert_deliveries{state="pending"} > 0`:                                                {"balance_alert_deliveries"},
		`sum by (channel) (increase(balance_alert_delivery_attempts_total{outcome="retry"}[15m])) > 3`: {"balance_alert_delivery_attempts_total"},
	}
	for expr, want := range good {
		if got := promMetricNames(expr); !slices.Equal(got, want) {
			_, err := parsePromQL(expr)
			t.Errorf("%s: metrics %v (%v), want %v", expr, got, err, want)
		}
	}
	sels, err := parsePromQL(`sum by (channel, le) (rate(m_bucket{outcome="x"}[5m]))`)
	if err != nil || len(sels) != 1 || !slices.Equal(sels[0].Labels(), []string{"outcome", "channel", "le"}) {
		t.Errorf("labels %+v (%v), want outcome, channel, le", sels, err)
	}
	for _, bad := range []string{
		`sum(rate(x[5m])`,                 // unbalanced
		`rate(x[5m]))`,                    // unbalanced
		`rat(x[5m])`,                      // unknown function
		`rate(x[5q])`,                     // bad duration
		`rate(x)`,                         // instant vector where a range is needed
		`x[5m] > 0`,                       // range vector outside a function
		`x{job="a" > 0`,                   // unclosed matcher
		`x{job=a} > 0`,                    // value not a string
		`x{job=~"("} > 0`,                 // bad regexp
		`x{job=="a"} > 0`,                 // bad operator
		`sum by job (x)`,                  // by without parentheses
		`x > 0 # comment`,                 // comments do not belong in a rule
		`increase(x[15m]) > 0 and y[5m]`,  // stray range
		`up{job="balance"} == 0 ) or (up`, // bracket order
	} {
		if _, err := parsePromQL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// The metric check refuses unknown metrics and labels.
	e := &exposed{reg: prometheus.NewRegistry(), unseen: map[string]bool{},
		families: map[string]*dto.MetricFamily{"balance_x_total": {}}, labels: map[string]map[string]bool{"balance_x_total": {"kind": true}}}
	if err := e.check(promSelector{Metric: "balance_x_total", Matchers: []promMatcher{{"kind", "=", "a"}}}, "balance"); err != nil {
		t.Errorf("known metric and label refused: %v", err)
	}
	if err := e.check(promSelector{Metric: "balance_x_total", Grouping: []string{"knd"}}, "balance"); err == nil {
		t.Error("unknown label accepted")
	}
	if err := e.check(promSelector{Metric: "balance_y_total"}, "balance"); err == nil {
		t.Error("unknown metric accepted")
	}
	if err := e.check(promSelector{Metric: "up", Matchers: []promMatcher{{"job", "=", "balanc"}}}, "balance"); err == nil {
		t.Error("up of another job accepted")
	}
}

// ---------------------------------------------------------------------------
// Grafana

// grafanaDatasources is a Grafana data source provisioning file.
type grafanaDatasources struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name           string            `yaml:"name"`
		UID            string            `yaml:"uid"`
		Type           string            `yaml:"type"`
		Access         string            `yaml:"access"`
		URL            string            `yaml:"url"`
		JSONData       map[string]any    `yaml:"jsonData"`
		SecureJSONData map[string]string `yaml:"secureJsonData"`
	} `yaml:"datasources"`
}

// grafanaDashboard is the part of a dashboard's JSON these tests read.
type grafanaDashboard struct {
	UID        string         `json:"uid"`
	Title      string         `json:"title"`
	Panels     []grafanaPanel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string            `json:"name"`
			Type       string            `json:"type"`
			Query      any               `json:"query"`
			Datasource grafanaDatasource `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
}

type grafanaDatasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type grafanaPanel struct {
	ID         int               `json:"id"`
	Type       string            `json:"type"`
	Title      string            `json:"title"`
	Interval   string            `json:"interval"`
	Datasource grafanaDatasource `json:"datasource"`
	Panels     []grafanaPanel    `json:"panels"` // of a collapsed row
	Targets    []struct {
		RefID        string            `json:"refId"`
		Datasource   grafanaDatasource `json:"datasource"`
		Query        string            `json:"query"`
		RawQuery     bool              `json:"rawQuery"`
		ResultFormat string            `json:"resultFormat"`
	} `json:"targets"`
}

// dashboardQuery is one InfluxQL query of the dashboard.
type dashboardQuery struct {
	Where    string // panel title and refId, or the variable
	Query    string
	Interval string // the panel's minimum interval, if any
}

func readDashboard(t *testing.T) (grafanaDashboard, []dashboardQuery) {
	t.Helper()
	b, err := os.ReadFile(repoFile("deploy/grafana/dashboards/balance.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d grafanaDashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("balance.json: %v", err)
	}
	var qs []dashboardQuery
	var walk func([]grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			walk(p.Panels)
			for _, tg := range p.Targets {
				ds := tg.Datasource
				if ds.UID == "" {
					ds = p.Datasource
				}
				if ds.Type != "influxdb" || ds.UID != "balance-influxdb" {
					t.Errorf("panel %q target %s uses data source %+v, want the provisioned InfluxDB", p.Title, tg.RefID, ds)
				}
				if !tg.RawQuery || strings.TrimSpace(tg.Query) == "" {
					t.Errorf("panel %q target %s has no raw InfluxQL query", p.Title, tg.RefID)
				}
				qs = append(qs, dashboardQuery{Where: fmt.Sprintf("panel %q %s", p.Title, tg.RefID), Query: tg.Query, Interval: p.Interval})
			}
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		q, _ := v.Query.(string)
		if m, ok := v.Query.(map[string]any); ok {
			q, _ = m["query"].(string)
		}
		if v.Type == "query" {
			qs = append(qs, dashboardQuery{Where: "variable $" + v.Name, Query: q})
		}
	}
	return d, qs
}

// TestGrafanaProvisioning: the data source provisioning points Grafana at
// the compose stack's InfluxDB service (its port, the database and
// retention policies deploy/grafana/influxdb-dbrp.sh maps on InfluxDB 2.x,
// a token compose passes) and at its Prometheus, with the uids the
// dashboard uses; the dashboard provider reads the directory compose mounts
// the dashboards at. Running influxdb-dbrp.sh against a stand-in `influx`
// CLI shows it maps balance/autogen to the derived bucket (default) and
// balance/raw to the raw bucket, the buckets the compose stack creates and
// writes.
func TestGrafanaProvisioning(t *testing.T) {
	c := readCompose(t)
	var ds grafanaDatasources
	if err := readYAML(repoFile("deploy/grafana/provisioning/datasources/balance.yaml"), &ds); err != nil {
		t.Fatal(err)
	}
	if ds.APIVersion != 1 {
		t.Errorf("datasources apiVersion %d, want 1", ds.APIVersion)
	}
	byType := map[string]int{}
	for i, d := range ds.Datasources {
		byType[d.Type] = i
	}
	ii, ok := byType["influxdb"]
	if !ok {
		t.Fatal("no influxdb data source")
	}
	in := ds.Datasources[ii]
	u, err := url.Parse(in.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Services[u.Hostname()]; !ok || !strings.HasPrefix(c.Services[u.Hostname()].Image, "influxdb:") {
		t.Errorf("InfluxDB data source url %s: host %q is not the compose stack's InfluxDB service", in.URL, u.Hostname())
	}
	if u.Port() != "8086" {
		t.Errorf("InfluxDB data source url %s: want InfluxDB's port 8086", in.URL)
	}
	if v, _ := in.JSONData["version"].(string); v != "" && v != "InfluxQL" {
		t.Errorf("InfluxDB data source version %q, want InfluxQL", v)
	}
	if db, _ := in.JSONData["dbName"].(string); db != testenv.Database {
		t.Errorf("InfluxDB data source database %q, want %q (docs/storage.md)", db, testenv.Database)
	}
	if in.UID != "balance-influxdb" || in.Access != "proxy" {
		t.Errorf("InfluxDB data source uid %q access %q, want balance-influxdb, proxy", in.UID, in.Access)
	}
	if h, _ := in.JSONData["httpHeaderName1"].(string); h != "Authorization" || in.SecureJSONData["httpHeaderValue1"] != "Token ${BALANCE_INFLUX_TOKEN}" {
		t.Errorf("InfluxDB data source authenticates with %q: %q, want Authorization: Token ${BALANCE_INFLUX_TOKEN}", h, in.SecureJSONData["httpHeaderValue1"])
	}
	if v := c.Services["grafana"].Environment["BALANCE_INFLUX_TOKEN"]; !strings.Contains(v, "${BALANCE_INFLUX_TOKEN:?") {
		t.Errorf("compose passes Grafana BALANCE_INFLUX_TOKEN=%q, want the required ${BALANCE_INFLUX_TOKEN:?...}", v)
	}
	if pi, ok := byType["prometheus"]; !ok {
		t.Error("no prometheus data source")
	} else if pu, err := url.Parse(ds.Datasources[pi].URL); err != nil || c.Services[pu.Hostname()].Image == "" || pu.Port() != "9090" {
		t.Errorf("Prometheus data source url %q is not the compose stack's prometheus:9090", ds.Datasources[pi].URL)
	}

	var prov struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Type    string `yaml:"type"`
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	if err := readYAML(repoFile("deploy/grafana/provisioning/dashboards/balance.yaml"), &prov); err != nil {
		t.Fatal(err)
	}
	at := c.mountTarget("grafana", "./deploy/grafana/dashboards")
	if len(prov.Providers) != 1 || prov.Providers[0].Type != "file" || at == "" || prov.Providers[0].Options.Path != at {
		t.Errorf("dashboard providers %+v, want one file provider reading %q, where compose mounts deploy/grafana/dashboards", prov.Providers, at)
	}
	for _, dir := range []string{"datasources", "dashboards"} {
		if got := c.mountTarget("grafana", "./deploy/grafana/provisioning/"+dir); got != "/etc/grafana/provisioning/"+dir {
			t.Errorf("compose mounts deploy/grafana/provisioning/%s at %q, want /etc/grafana/provisioning/%s", dir, got, dir)
		}
	}

	// The DBRP script: run on InfluxDB's first start, after the buckets are made.
	dbrpAt := c.mountTarget("influxdb", "./deploy/grafana/influxdb-dbrp.sh")
	bucketsAt := c.mountTarget("influxdb", "./deploy/influxdb-init.sh")
	if !strings.HasPrefix(dbrpAt, "/docker-entrypoint-initdb.d/") || !(filepath.Base(dbrpAt) > filepath.Base(bucketsAt)) {
		t.Errorf("compose mounts influxdb-dbrp.sh at %q, want in /docker-entrypoint-initdb.d after %q (scripts run in name order)", dbrpAt, bucketsAt)
	}
	var appCfg struct {
		Storage struct {
			Influx struct {
				RawBucket     string `yaml:"raw_bucket"`
				DerivedBucket string `yaml:"derived_bucket"`
			} `yaml:"influx"`
		} `yaml:"storage"`
	}
	if err := readYAML(repoFile("deploy/balance.compose.yaml"), &appCfg); err != nil {
		t.Fatal(err)
	}
	env := c.Services["influxdb"].Environment
	if env["DOCKER_INFLUXDB_INIT_BUCKET"] != appCfg.Storage.Influx.RawBucket {
		t.Errorf("InfluxDB creates bucket %q, balance writes raw samples to %q", env["DOCKER_INFLUXDB_INIT_BUCKET"], appCfg.Storage.Influx.RawBucket)
	}
	dir := t.TempDir()
	stub := `#!/bin/sh
echo "$*" >> "$INFLUX_LOG"
case "$1 $2" in
"bucket list")
  case "$*" in
  *"--name raw "*) printf '0aaa0000000000aa\traw\t2160h0m0s\t24h0m0s\t1111111111111111\timplicit\n' ;;
  *"--name derived "*) printf '0ddd0000000000dd\tderived\tinfinite\t168h0m0s\t1111111111111111\timplicit\n' ;;
  esac ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "influx"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "calls")
	cmd := exec.Command("sh", repoFile("deploy/grafana/influxdb-dbrp.sh"))
	cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"), "INFLUX_LOG="+logPath,
		"DOCKER_INFLUXDB_INIT_ORG="+env["DOCKER_INFLUXDB_INIT_ORG"], "DOCKER_INFLUXDB_INIT_ADMIN_TOKEN=tok")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("influxdb-dbrp.sh: %v\n%s", err, out)
	}
	calls, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	type mapping struct {
		db, rp, bucketID string
		def              bool
	}
	var got []mapping
	for _, line := range strings.Split(strings.TrimSpace(string(calls)), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "v1" || f[1] != "dbrp" || f[2] != "create" {
			continue
		}
		var m mapping
		for k := 3; k < len(f); k++ {
			switch f[k] {
			case "--db":
				m.db = f[k+1]
			case "--rp":
				m.rp = f[k+1]
			case "--bucket-id":
				m.bucketID = f[k+1]
			case "--default":
				m.def = true
			}
		}
		if !strings.Contains(line, "--org "+env["DOCKER_INFLUXDB_INIT_ORG"]) || !strings.Contains(line, "--token tok") {
			t.Errorf("dbrp create without the setup's org and token: %s", line)
		}
		got = append(got, m)
	}
	wantRP := map[string]string{ // retention policy -> bucket id, from the buckets the compose stack writes
		strings.TrimPrefix(testenv.DerivedBucket, testenv.Database+"/"): "0ddd0000000000dd",
		strings.TrimPrefix(testenv.RawBucket, testenv.Database+"/"):     "0aaa0000000000aa",
	}
	if appCfg.Storage.Influx.RawBucket != "raw" || appCfg.Storage.Influx.DerivedBucket != "derived" {
		t.Fatalf("balance.compose.yaml writes buckets %+v; the stub and this test assume raw and derived", appCfg.Storage.Influx)
	}
	if len(got) != 2 {
		t.Fatalf("dbrp mappings created: %+v, want 2\n%s", got, calls)
	}
	for _, m := range got {
		if m.db != testenv.Database || wantRP[m.rp] != m.bucketID || m.def != (m.rp == "autogen") {
			t.Errorf("mapping %+v, want database %s with %v (autogen the default)", m, testenv.Database, wantRP)
		}
	}
	b, err := os.ReadFile(repoFile("deploy/influxdb-init.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "--name "+appCfg.Storage.Influx.DerivedBucket+" ") {
		t.Errorf("deploy/influxdb-init.sh does not create the derived bucket %q", appCfg.Storage.Influx.DerivedBucket)
	}
}

// influxResult is the JSON answer of InfluxDB's v1 /query.
type influxResult struct {
	Results []struct {
		Series []struct {
			Name    string            `json:"name"`
			Tags    map[string]string `json:"tags"`
			Columns []string          `json:"columns"`
			Values  [][]any           `json:"values"`
		} `json:"series"`
		Error string `json:"error"`
	} `json:"results"`
	Error string `json:"error"`
}

// influxQL runs q on db through the v1 query API, as Grafana's InfluxDB
// data source in InfluxQL mode does.
func influxQL(base, db, q string) (influxResult, error) {
	var r influxResult
	resp, err := http.PostForm(base+"/query", url.Values{"db": {db}, "q": {q}, "epoch": {"ms"}})
	if err != nil {
		return r, fmt.Errorf("query %q: %w", q, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return r, fmt.Errorf("query %q: status %d: %w", q, resp.StatusCode, err)
	}
	if r.Error != "" {
		return r, fmt.Errorf("query %q: %s", q, r.Error)
	}
	for _, res := range r.Results {
		if res.Error != "" {
			return r, fmt.Errorf("query %q: %s", q, res.Error)
		}
	}
	return r, nil
}

// resultStats summarises a query's result.
type resultStats struct {
	nonZero  int            // non-null, non-zero values outside the time column
	byColumn map[string]int // non-null values per column
	bySeries map[string]int // non-null values per series (measurement) name
}

// stats summarises r, and reports any series whose patient or device tag
// is not the wanted one.
func (r influxResult) stats(patient, device string) (resultStats, error) {
	st := resultStats{byColumn: map[string]int{}, bySeries: map[string]int{}}
	for _, res := range r.Results {
		for _, s := range res.Series {
			if p, ok := s.Tags["patient"]; ok && p != patient {
				return st, fmt.Errorf("series %s has patient %q, want only %q", s.Name, p, patient)
			}
			if d, ok := s.Tags["device"]; ok && d != device {
				return st, fmt.Errorf("series %s has device %q, want only %q", s.Name, d, device)
			}
			for _, c := range s.Columns {
				if c != "time" {
					st.byColumn[c] += 0
				}
			}
			for _, row := range s.Values {
				for i, v := range row {
					if i >= len(s.Columns) || s.Columns[i] == "time" || v == nil {
						continue
					}
					st.byColumn[s.Columns[i]]++
					st.bySeries[s.Name]++
					if v != float64(0) {
						st.nonZero++
					}
				}
			}
		}
	}
	return st, nil
}

// fromMeasurements returns the measurements an InfluxQL query reads
// ("rp"."measurement").
func fromMeasurements(q string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`"(?:raw|autogen)"\."([A-Za-z0-9_]+)"`).FindAllStringSubmatch(q, -1) {
		out = append(out, m[1])
	}
	return out
}

// missing says what a query's result lacks: any data, a value in one of
// its columns (a misspelt field reads as null), or a series of one of the
// measurements it reads (with several, one alone would do otherwise).
func (st resultStats) missing(q string) string {
	var gaps []string
	if st.nonZero == 0 {
		gaps = append(gaps, "no data")
	}
	for c, n := range st.byColumn {
		if n == 0 {
			gaps = append(gaps, "column "+c+" all null")
		}
	}
	if !strings.HasPrefix(strings.TrimSpace(q), "SHOW") {
		for _, m := range fromMeasurements(q) {
			if st.bySeries[m] == 0 {
				gaps = append(gaps, "no series of "+m)
			}
		}
	}
	sort.Strings(gaps)
	return strings.Join(gaps, ", ")
}

// grafanaInterpolate replaces the dashboard variables in q as Grafana does
// for InfluxQL: $timeFilter, $__interval (the panel's minimum interval or
// def), $__interval_ms, and $patient and $device with one value each.
func grafanaInterpolate(q string, from, to time.Time, interval, patient, device string) string {
	d, _ := model.ParseDuration(interval)
	r := strings.NewReplacer(
		"$timeFilter", fmt.Sprintf("time >= %dms and time <= %dms", from.UnixMilli(), to.UnixMilli()),
		"$__interval_ms", strconv.FormatInt(time.Duration(d).Milliseconds(), 10),
		"$__interval", interval,
		"$patient", regexp.QuoteMeta(patient),
		"$device", regexp.QuoteMeta(device),
	)
	return r.Replace(q)
}

// observabilityScenario is a morning of one patient: a sway test, a
// four-stage stance and a stance exercise, a walk session and free walking,
// a Timed Up and Go and five sit-to-stands, and a fall.
func observabilityScenario(t *testing.T) *sim.Scenario {
	t.Helper()
	body := sim.DefaultBody()
	s := sim.NewScenario(body, 100, 21)
	s.Idle(5)
	s.Stand(30, sim.StanceCondition{Stance: sim.FeetTogether}, sim.SwayOptions{Session: balance.SessionSway, LossAtS: -1})
	s.Idle(5)
	s.Stand(12, sim.StanceCondition{Stance: sim.SemiTandem}, sim.SwayOptions{Session: balance.SessionFourStage, LossAtS: -1})
	s.Idle(5)
	s.Stand(32, sim.StanceCondition{Stance: sim.Tandem}, sim.SwayOptions{Session: balance.SessionExercise, LossAtS: 20})
	s.Idle(5)
	w := sim.NormalWalk(body, 40)
	w.Session = balance.SessionWalk
	s.Walk(w)
	s.Idle(5)
	s.Walk(sim.NormalWalk(body, 40))
	s.Idle(5)
	s.SitDown()
	s.Sit(5)
	s.TUG()
	s.Sit(5)
	s.SitToStand5()
	s.Idle(5)
	s.Walk(sim.NormalWalk(body, 8))
	s.Fall(sim.FallSpec{Kind: sim.FallForward, LieS: 20})
	s.GetUp()
	s.Idle(5)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGrafanaDashboardQueriesRunOnInfluxDB: every InfluxQL query of the
// Grafana dashboard (each panel's and each template variable's), with the
// variables filled in as Grafana fills them, runs on a real InfluxDB 1.8
// holding what balance itself wrote (a patient's sway, stance, walking,
// TUG, sit-to-stand and fall, sent over MQTT and stored by ingest and
// monitoring through the influx writer), without an error and with data
// of that patient and device only; and with another patient selected the
// patient's data is gone, so the variables really filter. A measurement,
// field, tag, database or retention policy the dashboard misnames fails.
func TestGrafanaDashboardQueriesRunOnInfluxDB(t *testing.T) {
	d, queries := readDashboard(t)
	if d.UID == "" || d.Title == "" || len(queries) < 10 {
		t.Fatalf("dashboard uid %q title %q with %d queries", d.UID, d.Title, len(queries))
	}
	// Every measurement monitoring writes is on the dashboard, but the
	// risk inputs it only reads back are allowed to be absent.
	all := ""
	for _, q := range queries {
		all += q.Query + "\n"
	}
	for _, m := range monitor.MeasurementNames {
		if !strings.Contains(all, `"autogen"."`+m+`"`) {
			t.Errorf("no panel shows measurement %s", m)
		}
	}

	in := testenv.StartInflux(t)
	cfg := testConfig(t, fmt.Sprintf(`storage:
  kind: influx
  influx: {url: %q, raw_bucket: %q, derived_bucket: %q, timeout: 5s}
patients:
  - {id: p0, name: Patient 0, height_m: 1.72, sensor_height_m: 0.98}
devices:
  - {id: d0, patient_id: p0}
monitoring:
  clinic: {time_zone: Europe/Berlin}
`, in.URL, testenv.RawBucket, testenv.DerivedBucket))
	app := openApp(t, cfg)
	cl := deviceClient(t, app, "d0")

	s := observabilityScenario(t)
	start := time.Now().Add(-40 * time.Minute).Truncate(time.Second)
	ss := s.Samples(sim.TypicalSensor(), start.UnixNano())
	var evs []balance.DeviceEvent
	for i, seg := range s.Segments() {
		if seg.Session == "" {
			continue
		}
		ex := ""
		if seg.Session == balance.SessionExercise && seg.Stance != nil {
			ex = seg.Stance.ExerciseID()
		}
		id := fmt.Sprintf("obs-%d", i)
		evs = append(evs,
			balance.DeviceEvent{Action: "start", Kind: seg.Session, SessionID: id, ExerciseID: ex, Time: time.Unix(0, ss[int(seg.StartS*100)].TimeNS).UTC()},
			balance.DeviceEvent{Action: "stop", Kind: seg.Session, SessionID: id, ExerciseID: ex, Time: time.Unix(0, ss[min(int(seg.EndS*100), len(ss))-1].TimeNS).UTC()})
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	if len(evs) < 10 {
		t.Fatalf("scenario has %d session events, want start and stop of 5 sessions", len(evs))
	}
	publish := func(topic string, payload []byte) {
		if tk := cl.Publish(topic, 1, false, payload); !tk.WaitTimeout(10*time.Second) || tk.Error() != nil {
			t.Fatalf("publish %s: %v", topic, tk.Error())
		}
	}
	ei := 0
	for i := 0; i < len(ss); i += 100 {
		b := &balance.Batch{DeviceID: "d0", RateHz: 100, Samples: ss[i:min(i+100, len(ss))]}
		for ei < len(evs) && evs[ei].Time.UnixNano() <= b.Samples[len(b.Samples)-1].TimeNS {
			publish(wire.Topic("d0", wire.KindEvent), wire.EncodeEvent(evs[ei]))
			ei++
		}
		publish(wire.Topic("d0", wire.KindIMU), wire.AppendJSON(nil, b, wire.JSONOptions{}))
	}

	from, to := start.Add(-time.Minute), time.Now().Add(time.Minute)
	run := func(q dashboardQuery, patient, device string) (resultStats, error) {
		interval := q.Interval
		if interval == "" {
			interval = "10s"
		}
		r, err := influxQL(in.URL, testenv.Database, grafanaInterpolate(q.Query, from, to, interval, patient, device))
		if err != nil {
			return resultStats{}, err
		}
		return r.stats(patient, device)
	}
	// Analysis and the writes behind it take a while: wait until every
	// query has data (the risk assessment, debounced, is asked for once
	// the sessions are in).
	assessed := false
	var failing []string
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		failing = failing[:0]
		for _, q := range queries {
			st, err := run(q, "p0", "d0")
			if err != nil {
				t.Fatalf("%s: %v", q.Where, err)
			}
			if gap := st.missing(q.Query); gap != "" {
				failing = append(failing, q.Where+": "+gap+": "+q.Query)
			}
		}
		if len(failing) == 0 {
			break
		}
		if !assessed && len(failing) <= 2 {
			if _, err := app.Monitor.AssessPatient(context.Background(), "p0"); err != nil {
				t.Fatalf("assess: %v", err)
			}
			assessed = true
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d dashboard queries return no data for what balance wrote:\n%s", len(failing), len(queries), strings.Join(failing, "\n"))
		}
	}
	// Another patient (and device) selected: none of p0's data shows.
	for _, q := range queries {
		if !strings.Contains(q.Query, "$patient") && !strings.Contains(q.Query, "$device") {
			if !strings.HasPrefix(q.Where, "variable $patient") {
				t.Errorf("%s filters by neither $patient nor $device: %s", q.Where, q.Query)
			}
			continue
		}
		if st, err := run(q, "nobody", "none"); err != nil || st.nonZero != 0 {
			t.Errorf("%s with patient nobody: %d values (%v), want none", q.Where, st.nonZero, err)
		}
	}
}

// TestObservabilityComposeServices: docker-compose.yml runs Prometheus and
// Grafana from pinned images, on loopback ports only, with the files they
// need mounted read-only from the repository (which exist), Grafana's admin
// password required from the environment, Grafana waiting for healthy
// InfluxDB and Prometheus, and Prometheus not waiting for balance (it must
// run to report balance down). Their healthchecks are run here against
// stand-ins answering 200 and then 503 at the same paths: they pass, then
// fail.
func TestObservabilityComposeServices(t *testing.T) {
	c := readCompose(t)
	health := map[string]string{"prometheus": "/-/healthy", "grafana": "/api/health"}
	for name, path := range health {
		s, ok := c.Services[name]
		if !ok {
			t.Errorf("compose has no %s service", name)
			continue
		}
		img, tag, _ := strings.Cut(s.Image, ":")
		if img == "" || tag == "" || tag == "latest" || !regexp.MustCompile(`^v?\d+\.\d+\.\d+$`).MatchString(tag) {
			t.Errorf("%s image %q, want a pinned x.y.z tag", name, s.Image)
		}
		if len(s.Ports) == 0 {
			t.Errorf("%s publishes no port", name)
		}
		for _, p := range s.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("%s publishes %s beyond loopback", name, p)
			}
		}
		mounted := 0
		for _, v := range s.Volumes {
			parts := strings.Split(v, ":")
			if !strings.HasPrefix(parts[0], "./") {
				continue
			}
			mounted++
			if _, err := os.Stat(repoFile(parts[0])); err != nil {
				t.Errorf("%s mounts %s: %v", name, parts[0], err)
			}
			if len(parts) != 3 || parts[2] != "ro" {
				t.Errorf("%s mounts %s writable, want :ro", name, parts[0])
			}
		}
		if mounted < 2 {
			t.Errorf("%s mounts %d files of the repository, want its configuration", name, mounted)
		}
		h := s.Healthcheck
		if h == nil || len(h.Test) < 2 || h.Test[0] != "CMD" {
			t.Errorf("%s healthcheck %+v, want [CMD ...]", name, h)
			continue
		}
		t.Run(name+" healthcheck", func(t *testing.T) { runHTTPHealthcheck(t, h.Test[1:], path) })
	}
	if v := c.Services["grafana"].Environment["GF_SECURITY_ADMIN_PASSWORD"]; !regexp.MustCompile(`^\$\{[A-Z_]+:\?[^}]+\}$`).MatchString(v) {
		t.Errorf("Grafana admin password %q, want one required from the environment (${VAR:?message})", v)
	}
	for _, dep := range []string{"influxdb", "prometheus"} {
		if c.Services["grafana"].DependsOn[dep]["condition"] != "service_healthy" {
			t.Errorf("grafana does not wait for %s to be healthy", dep)
		}
	}
	if _, ok := c.Services["prometheus"].DependsOn["balance"]; ok {
		t.Error("prometheus waits for balance, so it could not report balance down")
	}
	for _, v := range []string{"prometheus-data", "grafana-data"} {
		if _, ok := c.Volumes[v]; !ok {
			t.Errorf("volume %s is not declared", v)
		}
	}
}

// runHTTPHealthcheck runs a compose healthcheck command (an HTTP GET by
// wget or curl of http://127.0.0.1:PORT/PATH) against a local stand-in:
// it must pass while the stand-in answers 200 at path and fail on 503.
func runHTTPHealthcheck(t *testing.T, args []string, path string) {
	t.Helper()
	bin, err := exec.LookPath(args[0])
	if err != nil {
		t.Fatalf("the healthcheck runs %s, not found here (apt-get install %s): %v", args[0], args[0], err)
	}
	status := http.StatusOK
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.Path)
		if r.URL.Path != path {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	re := regexp.MustCompile(`^http://127\.0\.0\.1:\d+`)
	cmdArgs := slices.Clone(args[1:])
	replaced := false
	for i, a := range cmdArgs {
		if re.MatchString(a) {
			cmdArgs[i] = re.ReplaceAllString(a, srv.URL)
			replaced = true
		}
	}
	if !replaced {
		t.Fatalf("healthcheck %v asks no http://127.0.0.1:PORT URL", args)
	}
	if out, err := exec.Command(bin, cmdArgs...).CombinedOutput(); err != nil {
		t.Fatalf("healthcheck %v against a healthy stand-in (paths asked %v): %v\n%s", args, got, err, out)
	}
	status = http.StatusServiceUnavailable
	if err := exec.Command(bin, cmdArgs...).Run(); err == nil {
		t.Fatalf("healthcheck %v passed against a stand-in answering 503", args)
	}
}
