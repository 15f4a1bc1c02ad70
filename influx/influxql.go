package influx

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/balance-pt/balance"
)

// influxQL runs one InfluxQL statement through the v1 query API
// (GET /query?db=&rp=&q=&epoch=ns), which InfluxDB 1.8 serves natively,
// 2.x through a DBRP mapping of db/rp to a bucket, and 3.x for a database
// (rp ignored): the one read path all three accept, so a site can move
// between them without code changes. dbrp is "database/retention-policy"
// or "database". It returns the series of the statement's result, each
// value with numbers as json.Number (times are integer nanoseconds).
func (s *Store) influxQL(ctx context.Context, dbrp, stmt string) ([]qlSeries, error) {
	db, rp, _ := strings.Cut(dbrp, "/")
	v := url.Values{"db": {db}, "q": {stmt}, "epoch": {"ns"}}
	if rp != "" {
		v.Set("rp", rp)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(s.cfg.URL, "/")+"/query?"+v.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("influx: query: %w", err)
	}
	if s.cfg.Token != "" {
		// 2.x and 3.x take the API token; 1.8 takes "user:password" in the
		// same header (its 2.x-compatible authentication).
		req.Header.Set("Authorization", "Token "+s.cfg.Token)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, balance.Errorf(balance.EUNAVAILABLE, "influxdb at %s: %v", s.cfg.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("influx: query answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	var out struct {
		Results []struct {
			Series []qlSeries `json:"series"`
			Error  string     `json:"error"`
		} `json:"results"`
		Error string `json:"error"`
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("influx: query: decoding the answer: %w", err)
	}
	if out.Error != "" {
		return nil, fmt.Errorf("influx: query: %s", out.Error)
	}
	var series []qlSeries
	for _, r := range out.Results {
		if r.Error != "" {
			return nil, fmt.Errorf("influx: query: %s", r.Error)
		}
		series = append(series, r.Series...)
	}
	return series, nil
}

// qlSeries is one series of an InfluxQL answer: column names and rows.
type qlSeries struct {
	Name    string          `json:"name"`
	Columns []string        `json:"columns"`
	Values  [][]interface{} `json:"values"`
}

// qlString quotes s as an InfluxQL string literal ('...').
func qlString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// qlIdent quotes s as an InfluxQL identifier ("...").
func qlIdent(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// qlInt reads an integer cell (a time in ns, a count).
func qlInt(v interface{}) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("influx: want a number, got %T", v)
	}
	return n.Int64()
}

// qlFloat reads a float cell; ok is false for a null or a non-number.
func qlFloat(v interface{}) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}
