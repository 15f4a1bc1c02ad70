package broker

import (
	"bytes"
	"context"
	"log/slog"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/balance-pt/balance/mqttauth"
)

// Access is who may use the broker: devices with their own credentials
// (user name = device id, password = the device's secret), each publishing
// only under its own balance/v1/{id}/ and reading nothing, and balance's
// ingest client, which reads every device's topics. Anonymous clients are
// refused.
type Access struct {
	// CheckDevice reports whether secret is device id's current secret.
	CheckDevice func(ctx context.Context, deviceID, secret string) (bool, error)
	// IngestPassword is the ingest client's password (user name
	// mqttauth.IngestUsername); IngestClientID its client id, which no
	// other credential may take over.
	IngestPassword, IngestClientID string
}

// accessHook applies Access to the mochi server.
type accessHook struct {
	mqtt.HookBase
	access Access
	log    *slog.Logger
}

func (h *accessHook) ID() string { return "balance-access" }

func (h *accessHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnConnectAuthenticate, mqtt.OnACLCheck}, []byte{b})
}

// OnConnectAuthenticate lets in the ingest client with its password, and a
// device whose client id is its user name and whose secret matches.
func (h *accessHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	user, pass := string(pk.Connect.Username), string(pk.Connect.Password)
	switch {
	case user == "":
		h.refuse(cl, user, "anonymous")
		return false
	case user == mqttauth.IngestUsername:
		if h.access.IngestPassword != "" && mqttauth.SecretMatches(pass, mqttauth.SecretSHA256(h.access.IngestPassword)) {
			return true
		}
		h.refuse(cl, user, "wrong password")
		return false
	case cl.ID == h.access.IngestClientID || cl.ID != user:
		// A device connects with its own id as client id: it can take over
		// neither the ingest client's session nor another device's.
		h.refuse(cl, user, "client id is not the user name")
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ok, err := h.access.CheckDevice(ctx, user, pass)
	if err != nil {
		h.log.Error("mqtt: device credential check failed", "device", user, "err", err)
		return false
	}
	if !ok {
		h.refuse(cl, user, "wrong or no secret")
	}
	return ok
}

// OnACLCheck applies mqttauth's topic rules.
func (h *accessHook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	user := string(cl.Properties.Username)
	if write {
		return mqttauth.MayPublish(user, topic)
	}
	return mqttauth.MaySubscribe(user, topic)
}

func (h *accessHook) refuse(cl *mqtt.Client, user, why string) {
	h.log.Warn("mqtt: connection refused", "client_id", cl.ID, "user", user, "remote", cl.Net.Remote, "reason", why)
}
