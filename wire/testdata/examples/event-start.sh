# example: event-start
mosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -t balance/v1/demo-001/event -m '{"v":1,"action":"start","kind":"exercise","exercise_id":"tandem-stance","session_id":"s-0001","time":'"$(date +%s%3N)"'}'
