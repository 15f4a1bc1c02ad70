# example: json-g-dps
mosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -t balance/v1/demo-001/imu -m '{"v":1,"seq":2,"t0":'"$(date +%s%3N)"',"rate_hz":50,"units":{"acc":"g","gyro":"deg/s"},"samples":[[0.012,-0.005,0.998,1.2,-0.4,0.3],[0.013,-0.004,1.001,1.1,-0.5,0.3]]}'
