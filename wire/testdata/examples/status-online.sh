# example: status-online
mosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -i demo-001 --will-topic balance/v1/demo-001/status --will-payload '{"v":1,"online":false}' --will-qos 1 --will-retain -r -t balance/v1/demo-001/status -m '{"v":1,"online":true,"battery_pct":87.5,"firmware":"1.4.2","device_time":'"$(date +%s%3N)"'}'
