package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func rec(i int) []byte { return []byte(fmt.Sprintf("record-%04d", i)) }

// drain reads and commits everything, in chunks of n records.
func drain(t *testing.T, s *Spool, n int) []string {
	t.Helper()
	var got []string
	for {
		c, err := s.Peek(n, 1<<20)
		if err != nil {
			t.Fatalf("Peek: %v", err)
		}
		if len(c.Records) == 0 {
			return got
		}
		for _, r := range c.Records {
			got = append(got, string(r))
		}
		if err := s.Commit(c); err != nil {
			t.Fatalf("Commit: %v", err)
		}
	}
}

func want(from, to int) []string {
	var w []string
	for i := from; i < to; i++ {
		w = append(w, string(rec(i)))
	}
	return w
}

func TestFIFOAcrossSegments(t *testing.T) {
	dir := t.TempDir()
	// 19-byte records: 8 header + 11 payload; 64-byte segments hold 3 records.
	s, err := Open(dir, Options{SegmentBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 10; i++ {
		if err := s.Append(rec(i)); err != nil {
			t.Fatalf("Append(%d): %v", i, err)
		}
	}
	if got := s.Pending(); got != 10 {
		t.Fatalf("Pending() = %d, want 10", got)
	}
	if got := drain(t, s, 4); !cmp.Equal(got, want(0, 10)) {
		t.Fatalf("drained records differ (-got +want):\n%s", cmp.Diff(got, want(0, 10)))
	}
	if got := s.Pending(); got != 0 {
		t.Errorf("Pending() after drain = %d, want 0", got)
	}
	if got := s.Bytes(); got != 0 {
		t.Errorf("Bytes() after drain = %d, want 0", got)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(files) != 1 {
		t.Errorf("segments left after drain = %d, want 1 (the open one)", len(files))
	}
	// Still usable after a full drain.
	if err := s.Append(rec(10)); err != nil {
		t.Fatal(err)
	}
	if got := drain(t, s, 4); !cmp.Equal(got, want(10, 11)) {
		t.Fatalf("after reuse got %v", got)
	}
}

func TestReopenReplaysUncommitted(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{SegmentBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 7; i++ {
		if err := s.Append(rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	// Commit the first segment's three records only.
	c, err := s.Peek(3, 1<<20)
	if err != nil || len(c.Records) != 3 {
		t.Fatalf("Peek = %d records, %v", len(c.Records), err)
	}
	if err := s.Commit(c); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2, err := Open(dir, Options{SegmentBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	// Records 3..6 were in later segments and were never committed.
	if got := drain(t, s2, 100); !cmp.Equal(got, want(3, 7)) {
		t.Fatalf("replay after reopen (-got +want):\n%s", cmp.Diff(got, want(3, 7)))
	}
}

func TestTornTailIsCut(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := s.Append(rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	f, err := os.OpenFile(files[0], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A crash during Append: a header promising 11 bytes, then only 4 of them.
	f.Write([]byte{11, 0, 0, 0, 1, 2, 3, 4, 'r', 'e', 'c', 'o'})
	f.Close()

	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open with torn tail: %v", err)
	}
	defer s2.Close()
	if err := s2.Append(rec(3)); err != nil {
		t.Fatal(err)
	}
	if got := drain(t, s2, 100); !cmp.Equal(got, want(0, 4)) {
		t.Fatalf("after torn tail (-got +want):\n%s", cmp.Diff(got, want(0, 4)))
	}
}

func TestCorruptOlderSegmentIsSetAside(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{SegmentBytes: 40})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ { // three segments of two records
		s.Append(rec(i))
	}
	s.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	b, _ := os.ReadFile(files[0])
	b[len(b)-1] ^= 0xff
	os.WriteFile(files[0], b, 0o640)
	s2, err := Open(dir, Options{SegmentBytes: 40})
	if err != nil {
		t.Fatalf("Open with a corrupt old segment: %v; want it set aside", err)
	}
	defer s2.Close()
	if aside := s2.SetAside(); len(aside) != 1 || filepath.Base(aside[0]) != filepath.Base(files[0])+".corrupt" {
		t.Fatalf("SetAside = %v, want the first segment", aside)
	}
	if _, err := os.Stat(files[0] + ".corrupt"); err != nil {
		t.Fatalf("corrupt segment not kept for recovery: %v", err)
	}
	if got := drain(t, s2, 10); !cmp.Equal(got, want(2, 6)) {
		t.Fatalf("records after setting aside (-got +want):\n%s", cmp.Diff(got, want(2, 6)))
	}
}

// TestSkipCorruptDuringReplay: a record damaged after Open (bit rot) makes
// Peek report ErrCorrupt; SkipCorrupt sets the segment aside and replay goes
// on with the next one, with Pending recounted.
func TestSkipCorruptDuringReplay(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{SegmentBytes: 40})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 6; i++ {
		s.Append(rec(i))
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	f, _ := os.OpenFile(files[0], os.O_RDWR, 0)
	f.WriteAt([]byte{0xff}, 12) // inside the first record's payload
	f.Close()
	if _, err := s.Peek(10, 1<<20); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Peek over a damaged record: err = %v, want ErrCorrupt", err)
	}
	n, err := s.SkipCorrupt()
	if err != nil || n == 0 {
		t.Fatalf("SkipCorrupt = %d, %v", n, err)
	}
	if s.Pending() != 4 {
		t.Errorf("Pending after skipping a segment of two = %d, want 4", s.Pending())
	}
	if got := drain(t, s, 10); !cmp.Equal(got, want(2, 6)) {
		t.Fatalf("replay after skip (-got +want):\n%s", cmp.Diff(got, want(2, 6)))
	}
	if err := s.Append(rec(6)); err != nil {
		t.Fatalf("Append after skip: %v", err)
	}
}

func TestBudget(t *testing.T) {
	s, err := Open(t.TempDir(), Options{MaxBytes: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Each record takes 19 bytes: two fit in 50, a third does not.
	for i := 0; i < 2; i++ {
		if err := s.Append(rec(i)); err != nil {
			t.Fatalf("Append(%d) within budget: %v", i, err)
		}
	}
	if err := s.Append(rec(2)); !errors.Is(err, ErrFull) {
		t.Fatalf("Append over budget: err = %v, want ErrFull", err)
	}
	if got := s.Pending(); got != 2 {
		t.Fatalf("Pending() = %d after a refused append, want 2", got)
	}
	drain(t, s, 1)
	if err := s.Append(rec(2)); err != nil {
		t.Fatalf("Append after drain: %v", err)
	}
}

func BenchmarkAppend100Samples(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	payload := make([]byte, 100*56)
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if err := s.Append(payload); err != nil {
			b.Fatal(err)
		}
	}
}

func TestConcurrentAppendsAllDurableAndOrderedPerWriter(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{SegmentBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 200
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := s.Append([]byte(fmt.Sprintf("w%d-%04d", w, i))); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	s.Close()
	// Reopen: everything acknowledged must be there, each writer's records in its order.
	s2, err := Open(dir, Options{SegmentBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got := drain(t, s2, 64)
	if len(got) != writers*each {
		t.Fatalf("reopened spool holds %d records, want %d", len(got), writers*each)
	}
	next := make([]int, writers)
	for _, r := range got {
		var w, i int
		fmt.Sscanf(r, "w%d-%04d", &w, &i)
		if i != next[w] {
			t.Fatalf("writer %d: record %d after %d", w, i, next[w]-1)
		}
		next[w]++
	}
}

// TestRotationDuringSyncIsNotAnError: with segments rotated every few
// appends, an appender's fsync often meets a segment another appender has
// just rotated out (and closed). The rotation synced that segment first, so
// the append is durable and must not fail ("fsync: file already closed"
// used to raise a false spool-full alarm in ingest). Every append succeeds
// and every record is there after a reopen.
func TestRotationDuringSyncIsNotAnError(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{SegmentBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 150
	var wg sync.WaitGroup
	var failed atomic.Int64
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := s.Append([]byte(fmt.Sprintf("w%02d-%04d", w, i))); err != nil {
					if failed.Add(1) == 1 {
						t.Errorf("append: %v", err)
					}
				}
			}
		}()
	}
	wg.Wait()
	s.Close()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d of %d appends failed", n, writers*each)
	}
	s2, err := Open(dir, Options{SegmentBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got := drain(t, s2, 64); len(got) != writers*each {
		t.Fatalf("reopened spool holds %d records, want %d", len(got), writers*each)
	}
}

func BenchmarkAppendConcurrent(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	payload := make([]byte, 100*56)
	b.SetParallelism(16)
	b.SetBytes(int64(len(payload)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Append(payload); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
