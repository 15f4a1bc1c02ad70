# example: status-offline
mosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -r -t balance/v1/demo-001/status -m '{"v":1,"online":false}'
