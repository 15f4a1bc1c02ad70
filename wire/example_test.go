package wire_test

import (
	"fmt"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
)

func ExampleDecoder_DecodeIMU() {
	topic := "balance/v1/demo-001/imu"
	payload := []byte(`{"v":1,"seq":7,"t0":1795834790000,"rate_hz":100,"units":{"acc":"g","gyro":"deg/s"},"samples":[[0,0,1,0,0,90],[0,0,1,0,0,-90]]}`)
	now := time.UnixMilli(1795834791000)

	device, kind, err := wire.ParseTopic(topic)
	if err != nil || kind != wire.KindIMU {
		fmt.Println(err)
		return
	}
	d := wire.NewDecoder(wire.DefaultLimits()) // one per goroutine; reuse it
	var b balance.Batch                        // reuse it too: DecodeIMU keeps its capacity
	enc, err := d.DecodeIMU(device, payload, now, &b)
	if err != nil {
		fmt.Println(balance.ErrorCode(err), err)
		return
	}
	fmt.Println(enc, b.DeviceID, b.Seq, len(b.Samples))
	for _, s := range b.Samples {
		fmt.Printf("%s acc %.5f m/s² gyro %.4f rad/s\n", s.Time().Format("15:04:05.000"), s.Acc, s.Gyro)
	}

	_, err = d.DecodeIMU(device, []byte(`{"v":1,"t0":1795834790000,"rate_hz":100,"samples":[[0,0,1,0,0,0]]}`), now, &b)
	fmt.Println(balance.ErrorCode(err))
	// Output:
	// json demo-001 7 2
	// 02:59:50.000 acc [0.00000 0.00000 9.80665] m/s² gyro [0.0000 0.0000 1.5708] rad/s
	// 02:59:50.010 acc [0.00000 0.00000 9.80665] m/s² gyro [0.0000 0.0000 -1.5708] rad/s
	// bad_units
}
