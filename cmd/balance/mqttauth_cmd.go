package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/balance-pt/balance/mqttauth"
)

// runMQTTAuth implements `balance mqtt-auth`: it writes Mosquitto's
// password file (every device with a secret, and the ingest user with the
// configured mqtt.password) and ACL file (devices publish only under their
// own balance/v1/<id>/, the ingest user reads them all) from the state
// database, so that Mosquitto applies the same rules as the embedded
// broker. Run it after registering devices or issuing secrets, then make
// Mosquitto reload its files (SIGHUP).
func runMQTTAuth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("balance mqtt-auth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration `file` (data_dir, mqtt.username and mqtt.password)")
	dataDir := fs.String("data-dir", "", "`directory` of the state database (overrides the file)")
	out := fs.String("out", "", "`directory` to write passwd and acl into")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("mqtt-auth: --out is required")
	}
	cfg := DefaultConfig()
	if *configPath != "" {
		if err := cfg.loadFile(*configPath); err != nil {
			return err
		}
	}
	if err := cfg.loadEnv(os.Getenv); err != nil {
		return err
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	if cfg.MQTT.Username != mqttauth.IngestUsername || cfg.MQTT.Password == "" {
		return fmt.Errorf("mqtt-auth: set mqtt.username to %q and mqtt.password (or BALANCE_MQTT_PASSWORD) to the ingest client's password", mqttauth.IngestUsername)
	}
	state, _, err := openState(ctx, cfg) // the configured state: SQLite or PostgreSQL
	if err != nil {
		return err
	}
	defer state.Close()
	hashes, err := state.MosquittoHashes(ctx)
	if err != nil {
		return err
	}
	ingestHash, err := mqttauth.MosquittoHash(cfg.MQTT.Password)
	if err != nil {
		return err
	}
	var passwd strings.Builder
	passwd.WriteString(mqttauth.PasswordLine(mqttauth.IngestUsername, ingestHash))
	ids := make([]string, 0, len(hashes))
	for id := range hashes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		passwd.WriteString(mqttauth.PasswordLine(id, hashes[id]))
	}
	if err := os.MkdirAll(*out, 0o750); err != nil {
		return fmt.Errorf("mqtt-auth: %w", err)
	}
	// Readable by Mosquitto's own user (another container's): the hashes
	// are of 256-bit random secrets, which no dictionary attack can find.
	if err := writeAtomic(filepath.Join(*out, "passwd"), passwd.String(), 0o644); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(*out, "acl"), mqttauth.MosquittoACL(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s/passwd (%d devices and the ingest user) and %s/acl; make Mosquitto reload them: kill -HUP <mosquitto pid>\n", *out, len(ids), *out)
	return nil
}

// writeAtomic writes a file through a temporary file and a rename, so that
// a reader never sees half of it.
func writeAtomic(path, content string, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), mode); err != nil {
		return fmt.Errorf("mqtt-auth: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("mqtt-auth: %w", err)
	}
	return nil
}
