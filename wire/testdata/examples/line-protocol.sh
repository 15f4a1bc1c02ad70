# example: line-protocol
t=$(date +%s%N); mosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -t balance/v1/demo-001/imu -m "$(printf 'imu,device=demo-001 ax=0.12,ay=-0.05,az=9.79,gx=0.01,gy=-0.02,gz=0.003,seq=4i %d\nimu,device=demo-001 ax=0.15,ay=-0.04,az=9.83,gx=0.012,gy=-0.018,gz=0.002,seq=4i %d\n' "$t" "$((t + 10000000))")"
