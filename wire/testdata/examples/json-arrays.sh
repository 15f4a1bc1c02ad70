# example: json-arrays
mosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -t balance/v1/demo-001/imu -m '{"v":1,"seq":1,"t0":'"$(date +%s%3N)"',"rate_hz":100,"units":{"acc":"m/s2","gyro":"rad/s"},"frame":"sensor","n":3,"samples":[[0.12,-0.05,9.79,0.01,-0.02,0.003],[0.15,-0.04,9.83,0.012,-0.018,0.002],[0.11,-0.06,9.8,0.009,-0.021,0.004]]}'
