package testenv

import (
	"context"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/balance-pt/balance"
)

// DevicesWithSecrets registers devices (unbound) and issues each its MQTT
// secret; it returns the secrets by device id.
func DevicesWithSecrets(t testing.TB, reg balance.Registry, creds balance.DeviceCredentials, ids ...string) map[string]string {
	t.Helper()
	ctx := context.Background()
	secrets := map[string]string{}
	for _, id := range ids {
		if err := reg.RegisterDevice(ctx, balance.Device{ID: id}); err != nil {
			t.Fatal(err)
		}
		secret, err := creds.IssueDeviceSecret(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		secrets[id] = secret
	}
	return secrets
}

// MQTTConnect connects once (no retries) to the broker at url with the
// given client id and credentials, and returns the client and the error.
func MQTTConnect(url, clientID, user, pass string) (paho.Client, error) {
	o := paho.NewClientOptions().AddBroker(url).SetClientID(clientID).SetUsername(user).SetPassword(pass).
		SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(5 * time.Second)
	c := paho.NewClient(o)
	tk := c.Connect()
	if !tk.WaitTimeout(10 * time.Second) {
		return c, context.DeadlineExceeded
	}
	return c, tk.Error()
}
