package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/balance-pt/balance/internal/natstest"
	"github.com/balance-pt/balance/natsingest"
)

// k8sObjects are the objects of deploy/k8s, by kind and name.
type k8sObjects struct {
	configMaps   map[string]corev1.ConfigMap
	secrets      map[string]corev1.Secret
	services     map[string]corev1.Service
	statefulSets map[string]appsv1.StatefulSet
	pdbs         map[string]policyv1.PodDisruptionBudget
	namespaces   []string
}

// readK8s decodes every document of deploy/k8s/*.yaml strictly into its
// Kubernetes API type: an unknown or misspelt field, or a value of the
// wrong type, fails the test (what a schema validator such as kubeconform
// checks, from the API's own Go types).
func readK8s(t *testing.T) k8sObjects {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "deploy", "k8s", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/k8s: %v", err)
	}
	o := k8sObjects{configMaps: map[string]corev1.ConfigMap{}, secrets: map[string]corev1.Secret{},
		services: map[string]corev1.Service{}, statefulSets: map[string]appsv1.StatefulSet{}, pdbs: map[string]policyv1.PodDisruptionBudget{}}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			where := fmt.Sprintf("%s document %d", filepath.Base(f), i+1)
			var head struct{ APIVersion, Kind string }
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			switch head.APIVersion + " " + head.Kind {
			case "v1 Namespace":
				o.namespaces = append(o.namespaces, strictAs[corev1.Namespace](t, where, doc).Name)
			case "v1 ConfigMap":
				v := strictAs[corev1.ConfigMap](t, where, doc)
				o.configMaps[v.Name] = v
			case "v1 Secret":
				v := strictAs[corev1.Secret](t, where, doc)
				o.secrets[v.Name] = v
			case "v1 Service":
				v := strictAs[corev1.Service](t, where, doc)
				o.services[v.Name] = v
			case "apps/v1 StatefulSet":
				v := strictAs[appsv1.StatefulSet](t, where, doc)
				o.statefulSets[v.Name] = v
			case "policy/v1 PodDisruptionBudget":
				v := strictAs[policyv1.PodDisruptionBudget](t, where, doc)
				o.pdbs[v.Name] = v
			default:
				t.Fatalf("%s: kind %q %q not checked by this test", where, head.APIVersion, head.Kind)
			}
		}
	}
	return o
}

// strictAs decodes one manifest document strictly into T (an unknown
// field or a value of the wrong type fails the test).
func strictAs[T any](t *testing.T, where, doc string) T {
	t.Helper()
	var v T
	if err := yaml.UnmarshalStrict([]byte(doc), &v); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return v
}

// TestKubernetesManifests checks deploy/k8s (README.md there): strict
// decoding into the API types; the balance configuration in the ConfigMap
// loads and validates with the binary's own parser, with the Secret's keys
// as *_FILE environment variables; nats-server -t accepts the NATS
// configuration and its mapping has balance's partition count; probes
// point at declared ports; every Secret key mounted is in the example
// Secret; each PodDisruptionBudget selects its StatefulSet's pods; several
// balance replicas, each a distinct NATS lease holder.
func TestKubernetesManifests(t *testing.T) {
	o := readK8s(t)
	if !slices.Contains(o.namespaces, "balance") {
		t.Errorf("no balance namespace")
	}
	bal, ok := o.statefulSets["balance"]
	if !ok {
		t.Fatal("no StatefulSet balance")
	}
	nats, ok := o.statefulSets["nats"]
	if !ok {
		t.Fatal("no StatefulSet nats")
	}
	if bal.Spec.Replicas == nil || *bal.Spec.Replicas < 2 {
		t.Errorf("balance replicas %v, want at least 2", bal.Spec.Replicas)
	}
	if nats.Spec.Replicas == nil || *nats.Spec.Replicas != 3 {
		t.Errorf("nats replicas %v, want 3 (a JetStream quorum of 2 survives one node down)", nats.Spec.Replicas)
	}

	// Probes on declared ports; balance: /healthz live, /readyz ready.
	for _, ss := range []appsv1.StatefulSet{bal, nats} {
		for _, c := range ss.Spec.Template.Spec.Containers {
			ports := map[string]bool{}
			for _, p := range c.Ports {
				ports[p.Name] = true
			}
			for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe} {
				if p == nil || p.HTTPGet == nil {
					t.Errorf("%s/%s: no HTTP %s probe", ss.Name, c.Name, name)
					continue
				}
				if !ports[p.HTTPGet.Port.String()] {
					t.Errorf("%s/%s: %s probe on port %q, not a declared container port", ss.Name, c.Name, name, p.HTTPGet.Port.String())
				}
			}
		}
	}
	bc := bal.Spec.Template.Spec.Containers[0]
	if bc.LivenessProbe.HTTPGet.Path != "/healthz" || bc.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("balance probes %s / %s, want /healthz / /readyz", bc.LivenessProbe.HTTPGet.Path, bc.ReadinessProbe.HTTPGet.Path)
	}

	// PodDisruptionBudgets select their workload's pods and allow one down.
	for name, ss := range map[string]appsv1.StatefulSet{"balance": bal, "nats": nats} {
		pdb, ok := o.pdbs[name]
		if !ok {
			t.Errorf("no PodDisruptionBudget for %s", name)
			continue
		}
		sel := labels.SelectorFromSet(pdb.Spec.Selector.MatchLabels)
		if !sel.Matches(labels.Set(ss.Spec.Template.Labels)) {
			t.Errorf("PodDisruptionBudget %s selects %v, pods are labelled %v", name, pdb.Spec.Selector.MatchLabels, ss.Spec.Template.Labels)
		}
		if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
			t.Errorf("PodDisruptionBudget %s maxUnavailable %v, want 1", name, pdb.Spec.MaxUnavailable)
		}
	}

	// Secrets: every key mounted is in the example Secret; the files exist
	// at the paths the *_FILE variables name.
	example := o.secrets["balance-secrets"]
	files := map[string]string{} // mounted path -> example value
	for _, v := range bal.Spec.Template.Spec.Volumes {
		if v.Secret == nil {
			continue
		}
		if v.Secret.SecretName != "balance-secrets" {
			t.Errorf("volume %s uses Secret %s, not the documented balance-secrets", v.Name, v.Secret.SecretName)
		}
		mount := ""
		for _, m := range bc.VolumeMounts {
			if m.Name == v.Name {
				mount = m.MountPath
			}
		}
		for _, it := range v.Secret.Items {
			val, ok := example.StringData[it.Key]
			if !ok {
				t.Errorf("Secret key %q mounted but not in secret.example.yaml", it.Key)
			}
			files[filepath.Join(mount, it.Path)] = val
		}
	}
	// The example's issuer seed is a placeholder (a real one would be
	// deployed as it is): a fresh account key stands in for it, its public
	// key for nats-auth-issuer-public.
	issuer, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	issuerSeed, _ := issuer.Seed()
	issuerPublic, _ := issuer.PublicKey()
	for path, val := range files {
		if filepath.Base(path) == "nats-auth-issuer-seed" && strings.HasPrefix(val, "CHANGE-ME") {
			files[path] = string(issuerSeed)
		}
	}
	// The configuration as the container sees it: the ConfigMap's file and
	// the environment, with each *_FILE, and each Secret file the
	// configuration names, pointing at a local copy of the example
	// Secret's value.
	dir := t.TempDir()
	envs := map[string]string{}
	for _, e := range bc.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name":
			envs[e.Name] = "balance-0"
		case strings.HasSuffix(e.Name, "_FILE"):
			val, ok := files[e.Value]
			if !ok {
				t.Errorf("%s=%s: no Secret file mounted there", e.Name, e.Value)
				continue
			}
			local := filepath.Join(dir, filepath.Base(e.Value))
			if err := os.WriteFile(local, []byte(val), 0o600); err != nil {
				t.Fatal(err)
			}
			envs[e.Name] = local
		default:
			envs[e.Name] = e.Value
		}
	}
	if envs["BALANCE_NATS_INSTANCE"] != "balance-0" {
		t.Errorf("BALANCE_NATS_INSTANCE is not the pod name: each instance must hold its own leases")
	}
	cm := o.configMaps["balance-config"]
	var cfgPath string
	for _, a := range []string{"--config"} {
		if i := slices.Index(bc.Args, a); i >= 0 && i+1 < len(bc.Args) {
			cfgPath = bc.Args[i+1]
		}
	}
	text, ok := cm.Data[filepath.Base(cfgPath)]
	if !ok {
		t.Fatalf("the container reads %s; ConfigMap balance-config has %v", cfgPath, cm.Data)
	}
	for path, val := range files {
		if !strings.Contains(text, path) {
			continue
		}
		local := filepath.Join(dir, "named-"+filepath.Base(path))
		if err := os.WriteFile(local, []byte(val), 0o600); err != nil {
			t.Fatal(err)
		}
		text = strings.ReplaceAll(text, path, local)
	}
	local := filepath.Join(dir, "balance.yaml")
	if err := os.WriteFile(local, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig([]string{"--config", local}, io.Discard, false, env(envs))
	if err != nil {
		t.Fatalf("the ConfigMap's balance.yaml with the Secret's files: %v", err)
	}
	if cfg.State.Driver != StatePostgres || cfg.State.DSN == "" || len(cfg.NATS.Servers) == 0 || cfg.AckLinkKey == "" || cfg.Storage.Influx.Token == "" {
		t.Errorf("config: state %q dsn set %v, nats %v, ack key set %v, influx token set %v; want PostgreSQL, NATS and the secrets",
			cfg.State.Driver, cfg.State.DSN != "", cfg.NATS.Servers, cfg.AckLinkKey != "", cfg.Storage.Influx.Token != "")
	}

	// NATS: nats-server accepts the configuration, and its mapping is the
	// one natsingest expects with balance's partition count.
	conf := o.configMaps["nats-config"].Data["nats.conf"]
	src, dst := natsingest.Mapping(cfg.NATS.WithDefaults().Partitions)
	if !strings.Contains(conf, strconv.Quote(src)+": "+strconv.Quote(dst)) {
		t.Errorf("nats.conf lacks the mapping %q: %q for nats.partitions %d", src, dst, cfg.NATS.WithDefaults().Partitions)
	}
	confPath := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	// Devices log in through balance's auth callout; balance is the static
	// user, with the password both read from balance-secrets.
	if cfg.NATS.DeviceAuth != natsDeviceAuthCallout || cfg.NATS.Username == "" || cfg.NATS.Password == "" {
		t.Errorf("nats: device_auth %q, username %q, password set %v; want the callout and balance's own user",
			cfg.NATS.DeviceAuth, cfg.NATS.Username, cfg.NATS.Password != "")
	}
	if !strings.Contains(conf, "{user: "+cfg.NATS.Username+", password: $BALANCE_NATS_PASSWORD}") || !strings.Contains(conf, "auth_users: [ "+cfg.NATS.Username+" ]") {
		t.Errorf("nats.conf: balance's user %q is not the static user the callout bypasses", cfg.NATS.Username)
	}
	natsEnv := []string{"POD_NAME=nats-0"}
	for _, e := range nats.Spec.Template.Spec.Containers[0].Env {
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		val, ok := o.secrets[ref.Name].StringData[ref.Key]
		if !ok {
			t.Errorf("nats env %s: Secret %s key %q not in secret.example.yaml", e.Name, ref.Name, ref.Key)
		}
		if ref.Key == "nats-auth-issuer-public" {
			val = issuerPublic
		}
		if ref.Key == "nats-password" && val != cfg.NATS.Password {
			t.Errorf("nats env %s is not the password balance logs in with", e.Name)
		}
		natsEnv = append(natsEnv, e.Name+"="+val)
	}
	cmd := exec.Command(natstest.ServerPath(t), "-t", "-c", confPath)
	cmd.Env = append(os.Environ(), natsEnv...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("nats-server -t rejects nats.conf: %v\n%s", err, out.String())
	}
	for _, s := range cfg.NATS.Servers {
		if !strings.Contains(s, ".nats-cluster:4222") {
			t.Errorf("nats server %s is not a node of the headless Service nats-cluster", s)
		}
	}
}
