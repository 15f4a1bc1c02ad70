package natsingest

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Config configures the partitioned consumer. Zero fields take the defaults
// in brackets.
type Config struct {
	// Servers are the NATS URLs of the cluster's nodes (nats://host:4222);
	// the client reconnects to any of them.
	Servers []string `yaml:"servers"`
	// Username and Password, or CredsFile (a NATS .creds file), authenticate
	// the instance; all empty: no authentication.
	Username  string `yaml:"username"`
	Password  string `yaml:"password"`
	CredsFile string `yaml:"creds_file"`
	// Stream is the JetStream stream holding the devices' messages
	// [$MQTT_msgs, the stream nats-server stores MQTT QoS 1 messages in].
	Stream string `yaml:"stream"`
	// Retain is how long the stream keeps messages, acknowledged or not,
	// when Setup creates it: limits retention with this maximum age, which
	// also allows replaying a window [24h]. A stream that exists already is
	// left as it is.
	Retain time.Duration `yaml:"retain"`
	// Subject is the subject root of partitioned messages in Stream: a
	// message is Subject.{partition}.{device}.{kind}
	// [$MQTT.msgs.balance.p].
	Subject string `yaml:"subject"`
	// Partitions is the number of partitions [16]. It must equal the N of
	// the server's mapping (see [Mapping]) and cannot change while devices
	// publish without moving devices between partitions.
	Partitions int `yaml:"partitions"`
	// ConsumerPrefix names the durable consumers ({prefix}-p{n}-g...) and
	// the lease bucket ({prefix}_leases) [balance].
	ConsumerPrefix string `yaml:"consumer_prefix"`
	// Instance identifies this instance in the leases; unique per running
	// instance [hostname-pid].
	Instance string `yaml:"instance"`
	// Replicas of the lease bucket, the consumers and (if this package
	// creates it) the stream: 3 on a 3-node cluster, 1 on a single server [1].
	Replicas int `yaml:"replicas"`
	// LeaseTTL is how long a partition stays with an instance that stopped
	// renewing: the failover time is between LeaseTTL and 4/3 LeaseTTL [10s].
	LeaseTTL time.Duration `yaml:"lease_ttl"`
	// AckWait is how long the server waits for an ack before redelivering
	// [30s]. Set it above the store's worst write time. Messages the handler
	// holds longer (ingest while the store is down) are delivered again
	// every AckWait and skipped: never handed over twice by one owner.
	AckWait time.Duration `yaml:"ack_wait"`
	// MaxAckPending bounds the messages of one partition handed to the
	// handler and not yet acknowledged [1000].
	MaxAckPending int `yaml:"max_ack_pending"`
	// FetchBatch is the most messages one pull asks for [256]; FetchWait how
	// long a pull waits for them [1s].
	FetchBatch int           `yaml:"fetch_batch"`
	FetchWait  time.Duration `yaml:"fetch_wait"`

	// DeviceAuth, AuthIssuerSeedFile and AuthSessionMax are read by balance
	// serve, not by this package. DeviceAuth is how devices log in to the
	// cluster's MQTT listeners: "" leaves it to the server's configuration;
	// "callout" makes every instance answer the server's auth callout from
	// the device registry (package natsauth, docs/security.md).
	DeviceAuth string `yaml:"device_auth"`
	// AuthIssuerSeedFile holds the account nkey seed that signs the
	// callout's answers; its public key is the server's auth_callout.issuer.
	AuthIssuerSeedFile string `yaml:"auth_issuer_seed_file"`
	// AuthSessionMax bounds one device log-in (natsauth.Config.SessionMax):
	// a revoked secret stops working within it [0: unbounded].
	AuthSessionMax time.Duration `yaml:"auth_session_max"`
}

// WithDefaults returns c with empty fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Stream == "" {
		c.Stream = MQTTStream
	}
	if c.Retain <= 0 {
		c.Retain = 24 * time.Hour
	}
	if c.Subject == "" {
		c.Subject = "$MQTT.msgs.balance.p"
	}
	if c.Partitions <= 0 {
		c.Partitions = 16
	}
	if c.ConsumerPrefix == "" {
		c.ConsumerPrefix = "balance"
	}
	if c.Instance == "" {
		h, _ := os.Hostname()
		c.Instance = fmt.Sprintf("%s-%d", h, os.Getpid())
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 10 * time.Second
	}
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	if c.MaxAckPending <= 0 {
		c.MaxAckPending = 1000
	}
	if c.FetchBatch <= 0 {
		c.FetchBatch = 256
	}
	if c.FetchWait <= 0 {
		c.FetchWait = time.Second
	}
	return c
}

// Validate reports the first unusable setting of c (after WithDefaults).
func (c Config) Validate() error {
	if len(c.Servers) == 0 {
		return errors.New("nats.servers is required (e.g. [nats://127.0.0.1:4222])")
	}
	for _, s := range c.Servers {
		if !strings.HasPrefix(s, "nats://") && !strings.HasPrefix(s, "tls://") {
			return fmt.Errorf("nats.servers: %q must start with nats:// or tls://", s)
		}
	}
	if c.Partitions > 1024 {
		return fmt.Errorf("nats.partitions %d: at most 1024", c.Partitions)
	}
	if strings.ContainsAny(c.ConsumerPrefix, ".*> \t") {
		return fmt.Errorf("nats.consumer_prefix %q may not hold '.', '*', '>' or spaces", c.ConsumerPrefix)
	}
	if !kvKey.MatchString(c.Instance) {
		return fmt.Errorf("nats.instance %q may hold only letters, digits, '-', '/', '_', '=' and '.'", c.Instance)
	}
	if c.Replicas > 5 {
		return fmt.Errorf("nats.replicas %d: at most 5", c.Replicas)
	}
	if c.LeaseTTL < time.Second {
		return fmt.Errorf("nats.lease_ttl %v: at least 1s", c.LeaseTTL)
	}
	if (c.Username != "" || c.Password != "") && c.CredsFile != "" {
		return errors.New("nats: set username/password or creds_file, not both")
	}
	return nil
}
