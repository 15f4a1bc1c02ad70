package natsingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// kvKey is what the lease bucket accepts as a key (nats.go jetstream/kv.go).
var kvKey = regexp.MustCompile(`^[-/_=\.a-zA-Z0-9]+$`)

// Connect opens a NATS connection to cfg.Servers that reconnects forever
// (to any node) and logs disconnections.
func Connect(cfg Config, log *slog.Logger) (*nats.Conn, error) {
	cfg = cfg.WithDefaults()
	if !kvKey.MatchString(cfg.Instance) {
		return nil, fmt.Errorf("natsingest: instance %q may hold only letters, digits, '-', '/', '_', '=' and '.'", cfg.Instance)
	}
	if log == nil {
		log = slog.Default()
	}
	opts := []nats.Option{
		nats.Name("balance " + cfg.Instance),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("nats disconnected", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", "server", nc.ConnectedUrlRedacted())
		}),
	}
	if cfg.Username != "" {
		opts = append(opts, nats.UserInfo(cfg.Username, cfg.Password))
	}
	if cfg.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	}
	nc, err := nats.Connect(strings.Join(cfg.Servers, ","), opts...)
	if err != nil {
		return nil, fmt.Errorf("natsingest: connect %v: %w", cfg.Servers, err)
	}
	return nc, nil
}

// Setup makes sure, idempotently, that the message stream, one durable
// consumer per partition ({prefix}-p{n}, created or updated to cfg) and the
// lease bucket exist, and returns the bucket. Several instances may run it
// at once.
//
// A missing stream is created with limits retention (MaxAge cfg.Retain).
// For $MQTT_msgs that is ahead of nats-server, which would otherwise create
// it with interest retention on the first MQTT connection (server/mqtt.go)
// and then uses whatever exists. Under interest retention a message is kept
// only while some consumer wants it, so a consumer missing or deleted at the
// wrong moment drops messages already acknowledged to devices; limits
// retention does not depend on consumers and keeps a replay window. An
// existing interest stream is used as it is, with a warning.
func Setup(ctx context.Context, js jetstream.JetStream, cfg Config) (jetstream.KeyValue, error) {
	cfg = cfg.WithDefaults()
	if !kvKey.MatchString(cfg.Instance) {
		return nil, fmt.Errorf("natsingest: instance %q may hold only letters, digits, '-', '/', '_', '=' and '.'", cfg.Instance)
	}
	stream, err := js.Stream(ctx, cfg.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		sc := jetstream.StreamConfig{
			Name:      cfg.Stream,
			Subjects:  []string{cfg.Subject + ".>"},
			Storage:   jetstream.FileStorage,
			Retention: jetstream.LimitsPolicy,
			MaxAge:    cfg.Retain,
			Replicas:  cfg.Replicas,
		}
		if cfg.Stream == MQTTStream {
			sc.Subjects = []string{"$MQTT.msgs.>"}
		}
		stream, err = js.CreateStream(ctx, sc)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			stream, err = js.Stream(ctx, cfg.Stream)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("natsingest: stream %s: %w", cfg.Stream, err)
	}
	if r := stream.CachedInfo().Config.Retention; r != jetstream.LimitsPolicy {
		slog.Warn("natsingest: the message stream drops messages no consumer wants; create it with limits retention (docs/scale-out.md)", "stream", cfg.Stream, "retention", r.String())
	}
	for p := range cfg.Partitions {
		cc := consumerConfig(cfg, p)
		if _, err := stream.CreateOrUpdateConsumer(ctx, cc); err != nil {
			return nil, fmt.Errorf("natsingest: consumer %s: %w", cc.Durable, err)
		}
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      cfg.ConsumerPrefix + "_leases",
		Description: "balance partition leases: p.{n} = owning instance, m.{instance} = live instance",
		TTL:         cfg.LeaseTTL,
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("natsingest: lease bucket: %w", err)
	}
	return kv, nil
}

// setupWait bounds how long New retries Setup while the cluster cannot
// answer (a node restarting, a meta leader being elected): longer than a
// JetStream leader election, short enough that a misconfiguration still
// fails the start.
const setupWait = time.Minute

// setupRetrying runs Setup, again with backoff (0.5 s doubling to 5 s)
// while it fails for want of an answer (timeouts, no responders, JetStream
// temporarily unavailable), for at most setupWait; other errors return at
// once.
func setupRetrying(ctx context.Context, js jetstream.JetStream, cfg Config, log *slog.Logger) (jetstream.KeyValue, error) {
	deadline := time.Now().Add(setupWait)
	wait := 500 * time.Millisecond
	for {
		kv, err := Setup(ctx, js, cfg)
		if err == nil || !transient(err) || time.Now().Add(wait).After(deadline) {
			return kv, err
		}
		log.Warn("natsingest: the cluster did not answer the setup; retrying", "err", err, "wait", wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, fmt.Errorf("natsingest: setup: %w (last: %w)", ctx.Err(), err)
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// transient reports whether a JetStream API error may pass by itself:
// no answer in time, nobody to answer, or a 503 (JetStream not ready).
func transient(err error) bool {
	var api *jetstream.APIError
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoHeartbeat) ||
		(errors.As(err, &api) && api.Code == 503)
}

// consumerName is the durable name of partition p's consumer.
func consumerName(prefix string, p int) string {
	return fmt.Sprintf("%s-p%d", prefix, p)
}

// consumerConfig is partition p's durable pull consumer.
func consumerConfig(cfg Config, p int) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       consumerName(cfg.ConsumerPrefix, p),
		Description:   fmt.Sprintf("balance partition %d", p),
		FilterSubject: partitionFilter(cfg.Subject, p),
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       cfg.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: cfg.MaxAckPending,
		Replicas:      cfg.Replicas,
	}
}
