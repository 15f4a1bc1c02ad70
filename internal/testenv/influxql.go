package testenv

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// Series is one series of an InfluxQL result.
type Series struct {
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags"`
	Columns []string          `json:"columns"`
	Values  [][]any           `json:"values"`
}

// Int returns the integer in column name of row i (0 when absent).
func (s Series) Int(i int, name string) int64 {
	for c, n := range s.Columns {
		if n == name && i < len(s.Values) && c < len(s.Values[i]) {
			if v, ok := s.Values[i][c].(json.Number); ok {
				n, _ := v.Int64()
				return n
			}
		}
	}
	return 0
}

// Query runs InfluxQL statements q on database db (empty: none named)
// through the 1.x /query endpoint and returns the series of the first
// statement's result. An error in any statement is an error.
func (in *Influx) Query(db, q string) ([]Series, error) {
	resp, err := http.PostForm(in.URL+"/query", url.Values{"q": {q}, "db": {db}})
	if err != nil {
		return nil, fmt.Errorf("influxql %q: %w", q, err)
	}
	defer resp.Body.Close()
	var out struct {
		Results []struct {
			Series []Series `json:"series"`
			Error  string   `json:"error"`
		} `json:"results"`
		Error string `json:"error"`
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("influxql %q: status %d: %w", q, resp.StatusCode, err)
	}
	if out.Error != "" || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("influxql %q: %d %s", q, resp.StatusCode, out.Error)
	}
	for _, r := range out.Results {
		if r.Error != "" {
			return nil, fmt.Errorf("influxql %q: %s", q, r.Error)
		}
	}
	if len(out.Results) == 0 {
		return nil, nil
	}
	return out.Results[0].Series, nil
}

// Exec runs InfluxQL statements through the 1.x /query endpoint.
func (in *Influx) Exec(q string) error {
	_, err := in.Query("", q)
	return err
}
