package testenv

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DiskBytes returns the bytes influxd holds on disk for database db: its
// shards (TSM files and index) and its write-ahead log. The series file
// (data/<db>/_series) is left out: influxd preallocates it in fixed
// segments (8 × 4 MiB), so its size says nothing about the data.
func (in *Influx) DiskBytes(db string) (int64, error) {
	var n int64
	for _, d := range []string{filepath.Join(in.dir, "data", db), filepath.Join(in.dir, "wal", db)} {
		err := filepath.WalkDir(d, func(_ string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() && e.Name() == "_series" {
				return filepath.SkipDir
			}
			if e.Type().IsRegular() {
				fi, err := e.Info()
				if err != nil {
					return err
				}
				n += fi.Size()
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			return 0, fmt.Errorf("disk bytes of %s: %w", db, err)
		}
	}
	return n, nil
}
