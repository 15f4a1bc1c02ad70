package progression

import (
	"testing"
)

// BenchmarkEvaluate times one decision over 17 weeks of sessions (three a
// week at the level), the Service's default lookback.
func BenchmarkEvaluate(b *testing.B) {
	cat := mustDefault(b)
	var days []int
	for d := 0; d < 120; d++ {
		if monWedFri(d) {
			days = append(days, d)
		}
	}
	in := Input{Now: t0.Add(121 * day), Plan: plan("tandem"), Sessions: good("tandem", days...)}
	b.ReportAllocs()
	for b.Loop() {
		if d := Evaluate(cat, Rules{}, in); d.Action != Progress {
			b.Fatal(d.Action)
		}
	}
}

// BenchmarkParseCatalog times loading and validating the default catalog
// (84 levels), done once at start.
func BenchmarkParseCatalog(b *testing.B) {
	y := DefaultCatalogYAML()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCatalog(y, "default"); err != nil {
			b.Fatal(err)
		}
	}
}
