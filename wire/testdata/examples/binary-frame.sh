# example: binary-frame
le() { local h o= i; h=$(printf "%0$(( $2 * 2 ))x" "$1"); for (( i = ${#h} - 2; i >= 0; i -= 2 )); do o+=${h:i:2}; done; printf %s "$o"; }
s16() { le $(( $1 & 0xFFFF )) 2; }
crc32c() { local c=$(( 0xFFFFFFFF )) i k; for (( i = 0; i < ${#1}; i += 2 )); do c=$(( c ^ 0x${1:i:2} )); for k in 1 2 3 4 5 6 7 8; do c=$(( (c >> 1) ^ (0x82F63B78 & -(c & 1)) )); done; done; le $(( c ^ 0xFFFFFFFF )) 4; }
# "BF", version 1, flags 1 (gyro), seq 5, t0 now in µs, rate 100.0f, acc_scale 2^-9 m/s², gyro_scale 2^-12 rad/s, n 2
hex=4246"01""01"$(le 5 4)$(le "$(date +%s%6N)" 8)"0000c842""0000003b""00008039"$(le 2 2)
for v in 61 -26 5013 41 -82 12   64 -20 5030 38 -80 15; do hex+=$(s16 "$v"); done
hex+=$(crc32c "$hex")
for (( i = 0; i < ${#hex}; i += 2 )); do printf "\\x${hex:i:2}"; done | mosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -t balance/v1/demo-001/imu -s
