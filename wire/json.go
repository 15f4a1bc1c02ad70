package wire

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/balance-pt/balance"
	"github.com/valyala/fastjson"
)

// decodeJSON decodes a JSON batch into dst (see docs/wire-format.md):
//
//	{"v":1,"seq":42,"t0":1764300000000,"rate_hz":100,
//	 "units":{"acc":"g","gyro":"deg/s"},"frame":"sensor",
//	 "samples":[[ax,ay,az,gx,gy,gz],...]}
//
// or with "samples":[{"t":ms,"acc":[x,y,z],"gyro":[x,y,z]},...], in which
// case t0 and rate_hz are optional and dst.RateHz stays 0.
func (d *Decoder) decodeJSON(payload []byte, dst *balance.Batch) (declared, error) {
	var u declared
	v, err := d.json.ParseBytes(payload)
	if err != nil {
		return u, balance.Errorf(balance.EMALFORMED, "invalid JSON: %v", err)
	}
	o, err := v.Object()
	if err != nil {
		return u, balance.Errorf(balance.EMALFORMED, "JSON batch must be an object, not %s", v.Type())
	}
	if err := d.checkJSONVersion(o.Get("v")); err != nil {
		return u, err
	}
	if u, err = jsonUnits(o.Get("units")); err != nil {
		return u, err
	}
	if fv := o.Get("frame"); fv != nil {
		f, err := fv.StringBytes()
		if err != nil || string(f) != "sensor" {
			return u, balance.Errorf(balance.EMALFORMED, `"frame" must be "sensor", not %s`, abbrev(fv))
		}
	}
	if sv := o.Get("seq"); sv != nil {
		seq, ok := d.jsonUint(sv)
		if !ok {
			return u, balance.Errorf(balance.EMALFORMED, `"seq" must be a non-negative integer, not %s`, abbrev(sv))
		}
		dst.Seq = seq
	}
	sv := o.Get("samples")
	if sv == nil {
		return u, balance.Errorf(balance.EMALFORMED, `missing "samples"`)
	}
	samples, err := sv.Array()
	if err != nil {
		return u, balance.Errorf(balance.EMALFORMED, `"samples" must be an array, not %s`, sv.Type())
	}
	if nv := o.Get("n"); nv != nil {
		n, ok := d.jsonUint(nv)
		if !ok {
			return u, balance.Errorf(balance.EMALFORMED, `"n" must be a non-negative integer, not %s`, abbrev(nv))
		}
		if n != uint64(len(samples)) {
			return u, balance.Errorf(balance.ECOUNT, `"n" declares %d samples but "samples" holds %d`, n, len(samples))
		}
	}
	if len(samples) == 0 {
		return u, balance.Errorf(balance.ECOUNT, "batch has no samples")
	}
	if len(samples) > balance.MaxBatchSize {
		return u, balance.Errorf(balance.ECOUNT, "batch has %d samples, more than %d", len(samples), balance.MaxBatchSize)
	}
	rv := o.Get("rate_hz")
	var rate float64
	if rv != nil {
		var ok bool
		if rate, ok = d.jsonFloat(rv); !ok {
			return u, balance.Errorf(balance.ERATE, `"rate_hz" must be a number, not %s`, abbrev(rv))
		}
		if err := checkRate(rate); err != nil {
			return u, err
		}
	}
	tv := o.Get("t0")
	var t0 int64
	if tv != nil {
		var err error
		if t0, err = d.jsonMillis(tv); err != nil {
			return u, fmt.Errorf(`"t0": %w`, err)
		}
	}
	dst.Samples = growSamples(dst.Samples, len(samples))
	if samples[0].Type() == fastjson.TypeObject {
		return u, d.jsonTimedSamples(samples, u, dst.Samples)
	}
	if rv == nil {
		return u, balance.Errorf(balance.ERATE, `"rate_hz" is required when samples are arrays`)
	}
	if tv == nil {
		return u, balance.Errorf(balance.EMALFORMED, `"t0" is required when samples are arrays`)
	}
	dst.RateHz = rate
	for i, sv := range samples {
		a, err := sv.Array()
		if err != nil || len(a) != 6 {
			return u, balance.Errorf(balance.EMALFORMED, "sample %d must be an array [ax,ay,az,gx,gy,gz], not %s", i, abbrev(sv))
		}
		s := &dst.Samples[i]
		s.TimeNS = sampleTime(t0, i, rate)
		for k := range 3 {
			x, ok := d.jsonFloat(a[k])
			y, ok2 := d.jsonFloat(a[k+3])
			if !ok || !ok2 {
				return u, balance.Errorf(balance.EMALFORMED, "sample %d: values must be numbers: %s", i, abbrev(sv))
			}
			s.Acc[k] = x * u.acc
			s.Gyro[k] = y * u.gyro
		}
	}
	return u, nil
}

// jsonTimedSamples decodes samples of the form {"t":ms,"acc":[..],"gyro":[..]}.
func (d *Decoder) jsonTimedSamples(samples []*fastjson.Value, u declared, dst []balance.Sample) error {
	for i, sv := range samples {
		o, err := sv.Object()
		if err != nil {
			return balance.Errorf(balance.EMALFORMED, `sample %d must be an object {"t":..,"acc":[..],"gyro":[..]}, not %s`, i, abbrev(sv))
		}
		s := &dst[i]
		tv := o.Get("t")
		if tv == nil {
			return balance.Errorf(balance.EMALFORMED, `sample %d: missing "t"`, i)
		}
		if s.TimeNS, err = d.jsonMillis(tv); err != nil {
			return fmt.Errorf(`sample %d: "t": %w`, i, err)
		}
		if err := d.jsonVec3(o.Get("acc"), u.acc, &s.Acc); err != nil {
			return balance.Errorf(balance.EMALFORMED, `sample %d: "acc" %v`, i, err)
		}
		if err := d.jsonVec3(o.Get("gyro"), u.gyro, &s.Gyro); err != nil {
			return balance.Errorf(balance.EMALFORMED, `sample %d: "gyro" %v`, i, err)
		}
	}
	return nil
}

var errVec3 = errors.New("must be an array of 3 numbers")

// jsonVec3 reads [x,y,z] into dst, multiplied by factor.
func (d *Decoder) jsonVec3(v *fastjson.Value, factor float64, dst *[3]float64) error {
	if v == nil {
		return errVec3
	}
	a, err := v.Array()
	if err != nil || len(a) != 3 {
		return errVec3
	}
	for k := range 3 {
		x, ok := d.jsonFloat(a[k])
		if !ok {
			return errVec3
		}
		dst[k] = x * factor
	}
	return nil
}

// checkJSONVersion reports EVERSION unless v is the number 1.
func (d *Decoder) checkJSONVersion(v *fastjson.Value) error {
	if v == nil {
		return balance.Errorf(balance.EVERSION, `missing "v" (the wire-format version, %d)`, Version)
	}
	if n, ok := d.jsonUint(v); !ok || n != Version {
		return balance.Errorf(balance.EVERSION, `"v" is %s; this receiver speaks version %d`, abbrev(v), Version)
	}
	return nil
}

// jsonUnits reads {"acc":..,"gyro":..}; both are required.
func jsonUnits(v *fastjson.Value) (declared, error) {
	var u declared
	if v == nil {
		return u, balance.Errorf(balance.EUNITS, `missing "units" (e.g. {"acc":"m/s2","gyro":"rad/s"})`)
	}
	o, err := v.Object()
	if err != nil {
		return u, balance.Errorf(balance.EUNITS, `"units" must be an object like {"acc":"g","gyro":"deg/s"}`)
	}
	if o.Get("acc") == nil || o.Get("gyro") == nil {
		return u, balance.Errorf(balance.EUNITS, `"units" must give both "acc" and "gyro"`)
	}
	acc := stringOrNil(o.Get("acc"))
	if u.acc = accUnitFactor(acc); u.acc == unitUnknown {
		return u, balance.Errorf(balance.EUNITS, `units.acc %s is not one of "g", "m/s2", "m/s^2", "m/s²"`, abbrev(o.Get("acc")))
	}
	gyro := stringOrNil(o.Get("gyro"))
	if u.gyro = gyroUnitFactor(gyro); u.gyro == unitUnknown {
		return u, balance.Errorf(balance.EUNITS, `units.gyro %s is not one of "rad/s", "deg/s", "dps", "°/s"`, abbrev(o.Get("gyro")))
	}
	return u, nil
}

// stringOrNil returns the bytes of JSON string v, or nil when v is absent or
// not a string.
func stringOrNil(v *fastjson.Value) []byte {
	if v == nil {
		return nil
	}
	b, _ := v.StringBytes()
	return b
}

// numText returns the JSON text of number v in d.num, or false if v is not a
// number.
func (d *Decoder) numText(v *fastjson.Value) ([]byte, bool) {
	if v == nil || v.Type() != fastjson.TypeNumber {
		return nil, false
	}
	d.num = v.MarshalTo(d.num[:0])
	return d.num, true
}

// jsonFloat parses number v with strconv.ParseFloat, which rounds correctly
// (so that encode→decode is exact). Overflow gives ±Inf, which the sample
// validation reports as ENONFINITE.
func (d *Decoder) jsonFloat(v *fastjson.Value) (float64, bool) {
	t, ok := d.numText(v)
	if !ok {
		return 0, false
	}
	return parseFloat(t)
}

// parseFloat parses a decimal float; out-of-range values become ±Inf.
func parseFloat(t []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(t), 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}

// jsonUint parses number v as a non-negative integer.
func (d *Decoder) jsonUint(v *fastjson.Value) (uint64, bool) {
	t, ok := d.numText(v)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(string(t), 10, 64)
	return n, err == nil
}

// jsonMillis parses number v, a time in Unix milliseconds that may have a
// fraction or an exponent, exactly into Unix nanoseconds.
func (d *Decoder) jsonMillis(v *fastjson.Value) (int64, error) {
	t, ok := d.numText(v)
	if !ok {
		return 0, balance.Errorf(balance.EMALFORMED, "%s must be a number of Unix milliseconds", abbrev(v))
	}
	return parseMillisNS(t)
}

// abbrev renders v as JSON, cut to 40 bytes, for error messages.
func abbrev(v *fastjson.Value) string {
	if v == nil {
		return "nothing"
	}
	b := v.MarshalTo(nil)
	if len(b) > 40 {
		return string(b[:37]) + "..."
	}
	return string(b)
}
