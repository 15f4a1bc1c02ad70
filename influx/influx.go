package influx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"

	"github.com/balance-pt/balance"
)

// Config configures the adapter.
type Config struct {
	URL   string `yaml:"url"`
	Token string `yaml:"token"` // InfluxDB 1.8: "user:password" or empty
	Org   string `yaml:"org"`   // ignored by InfluxDB 1.8
	// RawBucket holds raw samples; DerivedBucket holds measurements.
	RawBucket     string `yaml:"raw_bucket"`
	DerivedBucket string `yaml:"derived_bucket"`
	// RawDBRP and DerivedDBRP name the buckets for reads, which are
	// InfluxQL through the v1 query API: "database/retention-policy" as a
	// 2.x DBRP mapping names them (deploy/grafana/influxdb-dbrp.sh maps
	// balance/raw and balance/autogen), or a 3.x database. Empty: the
	// bucket name (right for 1.8, whose buckets are "db/rp", and for 3.x).
	RawDBRP     string        `yaml:"raw_dbrp"`
	DerivedDBRP string        `yaml:"derived_dbrp"`
	Timeout     time.Duration `yaml:"timeout"`
	// GZip compresses write request bodies [false]. Off by default: it
	// costs influxd 1.24–1.38× the CPU per sample (decompression) and the
	// client 12–13× for a 5.1× smaller body (docs/storage.md, "What a
	// sample costs InfluxDB"). Turn it on only when the link to InfluxDB,
	// not its CPU, is the limit.
	GZip bool `yaml:"gzip"`
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	if c.URL == "" {
		return errors.New("influx.url is required")
	}
	if !strings.HasPrefix(c.URL, "http://") && !strings.HasPrefix(c.URL, "https://") {
		return fmt.Errorf("influx.url %q must start with http:// or https://", c.URL)
	}
	if c.RawBucket == "" || c.DerivedBucket == "" {
		return errors.New("influx.raw_bucket and influx.derived_bucket are required")
	}
	return nil
}

// Store is an InfluxDB-backed balance.SampleStore.
type Store struct {
	cfg     Config
	client  influxdb2.Client
	raw     api.WriteAPIBlocking
	derived api.WriteAPIBlocking
	http    *http.Client
}

var _ balance.SampleStore = (*Store)(nil)

// New creates the adapter; it does not contact the server (see Ping).
func New(cfg Config) (*Store, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hc := &http.Client{
		Timeout: cfg.Timeout,
		Transport: &http.Transport{
			MaxIdleConns:        16,
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     90 * time.Second,
		},
	}
	opts := influxdb2.DefaultOptions().
		SetPrecision(time.Microsecond).
		SetHTTPClient(hc).
		SetUseGZip(cfg.GZip).
		SetHTTPRequestTimeout(uint(cfg.Timeout / time.Second)).
		SetApplicationName("balance")
	client := influxdb2.NewClientWithOptions(cfg.URL, cfg.Token, opts)
	return &Store{
		cfg:     cfg,
		client:  client,
		raw:     client.WriteAPIBlocking(cfg.Org, cfg.RawBucket),
		derived: client.WriteAPIBlocking(cfg.Org, cfg.DerivedBucket),
		http:    hc,
	}, nil
}

// Ping implements balance.SampleStore: it asks the server's /ping endpoint,
// which InfluxDB 1.8 and 2.x both serve.
func (s *Store) Ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(s.cfg.URL, "/")+"/ping", nil)
	if err != nil {
		return err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return balance.Errorf(balance.EUNAVAILABLE, "influxdb at %s: %v", s.cfg.URL, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return balance.Errorf(balance.EUNAVAILABLE, "influxdb at %s answered /ping with %d", s.cfg.URL, resp.StatusCode)
	}
	return nil
}

// Close implements balance.SampleStore.
func (s *Store) Close() error {
	s.client.Close()
	return nil
}
