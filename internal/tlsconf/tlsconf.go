// Package tlsconf turns the TLS file names of the configuration into
// crypto/tls configurations, for the MQTT client, the embedded broker and
// the HTTP server alike.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// Files names a certificate, its key and a CA bundle (PEM).
type Files struct {
	// CAFile: for a client, the CAs its server's certificate must chain to
	// (default: the system's); for a server, the CAs client certificates
	// must chain to (set: clients must present one).
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile: a server's certificate, or a client's (client
	// certificate authentication).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName is the name a client expects in the server's certificate
	// (default: the host it connects to).
	ServerName string `yaml:"server_name"`
}

// Set reports whether any file is named.
func (f Files) Set() bool { return f.CAFile != "" || f.CertFile != "" || f.KeyFile != "" }

// Client returns a client configuration: the server verified against
// CAFile (or the system's CAs), the client certificate presented if named.
func (f Files) Client() (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: f.ServerName}
	if f.CAFile != "" {
		pool, err := pool(f.CAFile)
		if err != nil {
			return nil, err
		}
		c.RootCAs = pool
	}
	if f.CertFile != "" || f.KeyFile != "" {
		pair, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls: client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{pair}
	}
	return c, nil
}

// Server returns a server configuration with the certificate; with CAFile,
// clients must present a certificate that chains to it.
func (f Files) Server() (*tls.Config, error) {
	if f.CertFile == "" || f.KeyFile == "" {
		return nil, fmt.Errorf("tls: a server needs cert_file and key_file")
	}
	pair, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: server certificate: %w", err)
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}
	if f.CAFile != "" {
		pool, err := pool(f.CAFile)
		if err != nil {
			return nil, err
		}
		c.ClientCAs, c.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return c, nil
}

func pool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tls: ca_file: %w", err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("tls: ca_file %s holds no PEM certificate", file)
	}
	return p, nil
}
