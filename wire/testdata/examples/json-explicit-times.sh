# example: json-explicit-times
t=$(date +%s%3N); mosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -t balance/v1/demo-001/imu -m '{"v":1,"seq":3,"units":{"acc":"m/s2","gyro":"rad/s"},"samples":[{"t":'$t',"acc":[0.12,-0.05,9.79],"gyro":[0.01,-0.02,0.003]},{"t":'$((t + 11))'.5,"acc":[0.15,-0.04,9.83],"gyro":[0.012,-0.018,0.002]}]}'
