// Package natsauth lets devices log in to a NATS cluster's MQTT listeners
// with their own secrets from balance's device registry, and confines each
// to its own topics, as the embedded broker and Mosquitto do on the
// single-node shapes (package mqttauth, docs/security.md).
//
// It is a NATS auth callout service (nats-server 2.10 or later; tested with
// 2.15.3, whose MQTT clients go through the callout). The server sends
// every client that is not a statically configured user (auth_users) to
// $SYS.REQ.USER.AUTH, as a request JWT holding the MQTT user name, password
// and client id; the service checks them against the registry and answers
// with a user JWT signed by the issuer account key whose public key the
// server configuration names (authorization { auth_callout { issuer } }).
//
// The user a device gets:
//
//   - may publish only to its own partitioned subject
//     {root}.{partition}.{device}.* (see [PublishSubject]): nats-server
//     applies the partition mapping (natsingest.Mapping) to an MQTT
//     PUBLISH before checking permissions, so balance/v1/{id}/{kind} is
//     checked as balance.p.{partition(id)}.{id}.{kind}; a publication to
//     another device's topic is acknowledged (PUBACK) and dropped, and the
//     server logs a "Publish Violation";
//   - may subscribe to nothing (a SUBSCRIBE is answered with failure 0x80);
//   - may connect only over MQTT (or MQTT over WebSocket), with its device
//     id as both user name and client id, so no credential takes over
//     another device's session.
//
// Unknown devices, wrong or revoked secrets and clients that are not MQTT
// are refused at CONNECT (CONNACK 5, not authorized). Nothing of the MQTT
// QoS 1 machinery needs permissions of its own: the server stores sessions
// and messages through its internal JetStream clients.
//
// Several balance instances run the service in one queue group, so each
// request is answered once, by any live instance.
package natsauth
