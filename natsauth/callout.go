package natsauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/ratelog"
	"github.com/balance-pt/balance/natsingest"
)

// refuseLogEvery paces the log lines of refused log-ins (each reason).
const refuseLogEvery = 10 * time.Second

// Subject is where nats-server sends authorization requests
// (nats-server server/auth_callout.go, AuthCalloutSubject).
const Subject = "$SYS.REQ.USER.AUTH"

// xkeyHeader marks a request the server encrypted for the service
// (auth_callout { xkey }), which this service does not support.
const xkeyHeader = "Nats-Server-Xkey"

// mqttMsgsPrefix is what nats-server puts before the subject of an MQTT
// QoS 1 publication to store it in $MQTT_msgs (server/mqtt.go,
// mqttStreamSubjectPrefix): the consumer's subject root without it is the
// subject the device's publication has after the mapping.
const mqttMsgsPrefix = "$MQTT.msgs."

// Registry checks device secrets; *sqlstate.Store (any balance state
// store implementing balance.DeviceCredentials) is one. An unknown device
// and a revoked secret are both (false, nil).
type Registry interface {
	CheckDeviceSecret(ctx context.Context, deviceID, secret string) (bool, error)
}

// Config configures the service. Zero fields take the defaults in brackets.
type Config struct {
	// IssuerSeed is the account nkey seed ("SA...", or a decorated nkey
	// file's content) that signs the answers; its public key ("A...") is
	// the server's auth_callout.issuer. Required.
	IssuerSeed []byte
	// Account is the account devices are placed in: the one whose
	// JetStream holds $MQTT_msgs and whose mappings partition the
	// devices' subjects [$G, the global account of a configuration without
	// accounts].
	Account string
	// Subject is the consumer's subject root (natsingest.Config.Subject),
	// $MQTT.msgs.{mapped root} [$MQTT.msgs.balance.p]; the mapped root is
	// where a device may publish.
	Subject string
	// Partitions is the N of the server's partition mapping
	// (natsingest.Config.Partitions) [16]. A wrong N sends every device's
	// messages to the wrong partition, where the permission refuses them.
	Partitions int
	// Queue is the queue group every instance answers in [balance-auth].
	Queue string
	// SessionMax bounds how long a device stays connected on one log-in:
	// the server disconnects it then and it logs in again, so a revoked
	// secret stops working within SessionMax even on a connection open
	// before [0: no bound].
	SessionMax time.Duration
	// Workers is how many requests are checked at once [8].
	Workers int
	// Timeout bounds one registry check [2s, nats-server's default
	// auth_timeout, after which the server refuses anyway].
	Timeout time.Duration
}

// WithDefaults returns c with empty fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Account == "" {
		c.Account = "$G"
	}
	if c.Subject == "" {
		c.Subject = natsingest.Config{}.WithDefaults().Subject
	}
	if c.Partitions <= 0 {
		c.Partitions = 16
	}
	if c.Queue == "" {
		c.Queue = "balance-auth"
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Second
	}
	return c
}

// ReadSeedFile reads an account nkey seed from path: the seed alone
// ("SA...", as `nk -gen account` prints it) or a decorated nkey file.
func ReadSeedFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("natsauth: issuer seed: %w", err)
	}
	kp, err := issuer(b)
	if err != nil {
		return nil, fmt.Errorf("natsauth: issuer seed %s: %w", path, err)
	}
	seed, err := kp.Seed()
	if err != nil {
		return nil, fmt.Errorf("natsauth: issuer seed %s: %w", path, err)
	}
	return seed, nil
}

// issuer parses an account seed.
func issuer(seed []byte) (nkeys.KeyPair, error) {
	kp, err := nkeys.ParseDecoratedNKey(seed)
	if err != nil {
		return nil, balance.Errorf(balance.EINVALID, "not an nkey seed")
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("issuer key: %w", err)
	}
	if !nkeys.IsValidPublicAccountKey(pub) {
		return nil, balance.Errorf(balance.EINVALID, "the seed is not an account seed (its public key %s does not start with A)", pub)
	}
	return kp, nil
}

// PublishSubject is the one subject device deviceID may publish to: the
// mapped subject of its MQTT topics balance/v1/{id}/{kind},
// {root}.{partition}.{token}.*, where root is subject without
// "$MQTT.msgs.", partition is natsingest.PartitionOf(deviceID, partitions)
// (the server mapping's FNV-1a hash) and token is the id with each '.'
// written "//" (nats-server's topic-to-subject rule). With
// natsingest's defaults and 16 partitions, device "d1" may publish to
// balance.p.{PartitionOf("d1", 16)}.d1.*.
func PublishSubject(subject string, partitions int, deviceID string) string {
	root := strings.TrimPrefix(subject, mqttMsgsPrefix)
	return root + "." + strconv.Itoa(natsingest.PartitionOf(deviceID, partitions)) + "." + strings.ReplaceAll(deviceID, ".", "//") + ".*"
}

// Stats counts the answers given.
type Stats struct {
	// OK are devices let in; Refused log-ins refused (unknown device,
	// wrong or revoked secret, not a device's user name or client id, not
	// MQTT); Errors requests not decided: the registry failed (the device
	// is refused and may retry) or the request could not be read.
	OK, Refused, Errors uint64
}

// Service answers the server's authorization requests for devices.
type Service struct {
	cfg    Config
	reg    Registry
	log    *slog.Logger
	rlog   *ratelog.Logger // refusals: a line per reason and refuseLogEvery
	kp     nkeys.KeyPair
	pub    string
	sem    chan struct{}
	mu     sync.Mutex // guards stopped, and wg.Add against Stop's Wait
	stop   bool
	wg     sync.WaitGroup
	sub    *nats.Subscription
	ok     atomic.Uint64
	refuse atomic.Uint64
	errs   atomic.Uint64
}

// New returns a service answering with cfg's issuer key from reg's
// secrets; log nil is slog.Default.
func New(cfg Config, reg Registry, log *slog.Logger) (*Service, error) {
	cfg = cfg.WithDefaults()
	if reg == nil {
		return nil, errors.New("natsauth: no registry")
	}
	if len(cfg.IssuerSeed) == 0 {
		return nil, balance.Errorf(balance.EINVALID, "natsauth: an issuer seed is required")
	}
	if !strings.HasPrefix(cfg.Subject, mqttMsgsPrefix) {
		return nil, balance.Errorf(balance.EINVALID, "natsauth: subject %q must start with %q: devices' MQTT messages are stored under it", cfg.Subject, mqttMsgsPrefix)
	}
	if cfg.Partitions > 1024 {
		return nil, balance.Errorf(balance.EINVALID, "natsauth: partitions %d: at most 1024", cfg.Partitions)
	}
	if cfg.SessionMax < 0 {
		return nil, balance.Errorf(balance.EINVALID, "natsauth: session max %v is negative", cfg.SessionMax)
	}
	kp, err := issuer(cfg.IssuerSeed)
	if err != nil {
		return nil, fmt.Errorf("natsauth: %w", err)
	}
	pub, _ := kp.PublicKey() // checked by issuer
	if log == nil {
		log = slog.Default()
	}
	return &Service{cfg: cfg, reg: reg, log: log, rlog: ratelog.New(log, refuseLogEvery), kp: kp, pub: pub, sem: make(chan struct{}, cfg.Workers)}, nil
}

// PublicKey is the issuer's public key, the server's auth_callout.issuer.
func (s *Service) PublicKey() string { return s.pub }

// Stats returns the answers counted so far.
func (s *Service) Stats() Stats {
	return Stats{OK: s.ok.Load(), Refused: s.refuse.Load(), Errors: s.errs.Load()}
}

// Start subscribes to the requests on nc, in the queue group, and answers
// them until Stop. nc must be a user listed in the server's
// auth_callout.auth_users, in the callout account.
func (s *Service) Start(nc *nats.Conn) error {
	sub, err := nc.QueueSubscribe(Subject, s.cfg.Queue, s.receive)
	if err != nil {
		return fmt.Errorf("natsauth: subscribe %s: %w", Subject, err)
	}
	if err := nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("natsauth: subscribe %s: %w", Subject, err)
	}
	s.sub = sub
	s.log.Info("answering NATS device log-ins", "issuer", s.pub, "account", s.cfg.Account, "queue", s.cfg.Queue)
	return nil
}

// Stop stops taking requests and waits for those being answered.
func (s *Service) Stop() {
	s.mu.Lock()
	s.stop = true
	s.mu.Unlock()
	if s.sub != nil {
		_ = s.sub.Unsubscribe()
	}
	s.wg.Wait()
}

// receive hands a request to a worker, waiting for a free one (which
// holds back the subscription's next requests meanwhile).
func (s *Service) receive(m *nats.Msg) {
	s.mu.Lock()
	if s.stop {
		s.mu.Unlock()
		return // the server times out and refuses; the device retries
	}
	s.wg.Add(1)
	s.mu.Unlock()
	s.sem <- struct{}{}
	go func() {
		defer func() { <-s.sem; s.wg.Done() }()
		s.answer(m)
	}()
}

// answer decides one request and replies to it.
func (s *Service) answer(m *nats.Msg) {
	if m.Header.Get(xkeyHeader) != "" {
		s.errs.Add(1)
		s.log.Error("nats auth: the server encrypts its requests (auth_callout.xkey), which balance does not support; remove xkey")
		return // the server times out and refuses
	}
	req, err := jwt.DecodeAuthorizationRequestClaims(string(m.Data))
	if err == nil && !nkeys.IsValidPublicServerKey(req.Issuer) {
		err = fmt.Errorf("signed by %q, not a server", req.Issuer)
	}
	if err != nil {
		s.errs.Add(1)
		s.log.Error("nats auth: unreadable request", "err", err)
		return
	}
	ci, co := req.ClientInformation, req.ConnectOptions
	user := co.Username
	who := []any{"device", user, "client_id", ci.MQTT, "remote", ci.Host, "server", req.Server.Name}
	log := s.log.With(who...)
	refuse := func(reason string) {
		s.refuse.Add(1)
		// At most a line per reason and refuseLogEvery, whoever tries:
		// a storm of bad log-ins is counted, not a flood in the log.
		s.rlog.Warn(time.Now(), reason, "nats auth: log-in refused", append([]any{"reason", reason}, who...)...)
		s.reply(m, req, "", "not authorized")
	}
	switch {
	case !strings.EqualFold(ci.Type, "mqtt"):
		refuse("not an MQTT client (" + ci.Type + ")")
		return
	case balance.ValidateDeviceID(user) != nil:
		refuse("user name is not a device id")
		return
	case ci.MQTT != user:
		refuse("client id is not the user name")
		return
	}
	// Not the request's expiry: it is in the server's clock, in whole
	// seconds; an answer after it is ignored by the server anyway.
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
	ok, err := s.reg.CheckDeviceSecret(ctx, user, co.Password)
	cancel()
	if err != nil {
		s.errs.Add(1)
		log.Error("nats auth: device registry check failed", "err", err)
		s.reply(m, req, "", "registry unavailable")
		return
	}
	if !ok {
		refuse("unknown device or wrong secret")
		return
	}
	uj, err := s.userJWT(req.UserNkey, user)
	if err != nil {
		s.errs.Add(1)
		log.Error("nats auth: cannot sign the user", "err", err)
		s.reply(m, req, "", "internal error")
		return
	}
	s.ok.Add(1)
	log.Debug("nats auth: device logged in")
	s.reply(m, req, uj, "")
}

// userJWT is the user a device gets: publish to its own subject only,
// subscribe to nothing, MQTT only, for at most SessionMax.
func (s *Service) userJWT(userNkey, deviceID string) (string, error) {
	uc := jwt.NewUserClaims(userNkey)
	uc.Name = deviceID
	uc.Audience = s.cfg.Account // the account the server places the user in
	uc.Pub.Allow.Add(PublishSubject(s.cfg.Subject, s.cfg.Partitions, deviceID))
	uc.Sub.Deny.Add(">")
	uc.AllowedConnectionTypes.Add(jwt.ConnectionTypeMqtt)
	uc.AllowedConnectionTypes.Add(jwt.ConnectionTypeMqttWS)
	if s.cfg.SessionMax > 0 {
		uc.Expires = time.Now().Add(s.cfg.SessionMax).Unix()
	}
	return uc.Encode(s.kp)
}

// reply sends the signed answer: the user JWT, or the reason for refusing.
func (s *Service) reply(m *nats.Msg, req *jwt.AuthorizationRequestClaims, userJWT, refusal string) {
	rc := jwt.NewAuthorizationResponseClaims(req.UserNkey)
	rc.Audience = req.Server.ID
	rc.Jwt = userJWT
	rc.Error = refusal
	tok, err := rc.Encode(s.kp)
	if err != nil {
		s.log.Error("nats auth: cannot sign the answer", "err", err)
		return
	}
	if err := m.Respond([]byte(tok)); err != nil {
		s.log.Warn("nats auth: cannot answer", "err", err)
	}
}
