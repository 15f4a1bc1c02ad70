package wire_test

import (
	"bytes"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
	"gonum.org/v1/gonum/floats/scalar"
)

var updateExamples = flag.Bool("update-examples", false, "rewrite testdata/examples/*.sh and testdata/payloads/* from docs/wire-format.md")

const docPath = "../docs/wire-format.md"

// fakePub stands in for mosquitto_pub: it records the topic, the arguments
// and the message (-m, -s from stdin, or -f file) of each call in $PUB_DIR.
const fakePub = `#!/usr/bin/env bash
set -e
n=$(ls "$PUB_DIR" | grep -c '\.topic$' || true)
out="$PUB_DIR/$n"
printf '%s\n' "$@" > "$out.args"
while [ $# -gt 0 ]; do
  case "$1" in
    -t) printf '%s' "$2" > "$out.topic"; shift 2 ;;
    -m) printf '%s' "$2" > "$out.payload"; shift 2 ;;
    -s) cat > "$out.payload"; shift ;;
    -f) cp "$2" "$out.payload"; shift 2 ;;
    -h|-p|-q|-i|--will-topic|--will-payload|--will-qos) shift 2 ;;
    -r|--will-retain) shift ;;
    *) echo "fake mosquitto_pub: unexpected argument $1" >&2; exit 2 ;;
  esac
done
`

// published is one message an example published.
type published struct {
	topic   string
	args    []string
	payload []byte
}

// runExample runs cmd with bash, mosquitto_pub replaced by fakePub.
func runExample(t *testing.T, cmd string) []published {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash not found: the documented examples are shell commands")
	}
	bin, out := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "mosquitto_pub"), []byte(fakePub), 0o755); err != nil {
		t.Fatal(err)
	}
	c := exec.Command(bash, "-c", cmd)
	c.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "PUB_DIR="+out)
	if msg, err := c.CombinedOutput(); err != nil {
		t.Fatalf("bash: %v\n%s", err, msg)
	}
	var pubs []published
	for i := 0; ; i++ {
		base := filepath.Join(out, itoa(int64(i)))
		topic, err := os.ReadFile(base + ".topic")
		if err != nil {
			break
		}
		args, _ := os.ReadFile(base + ".args")
		payload, err := os.ReadFile(base + ".payload")
		if err != nil {
			t.Fatalf("example published no message: %v", err)
		}
		pubs = append(pubs, published{string(topic), strings.Split(strings.TrimSpace(string(args)), "\n"), payload})
	}
	return pubs
}

// imuWant is what an IMU example's documentation says it stores.
type imuWant struct {
	enc       wire.Encoding
	n         int
	seq       uint64
	dtNS      int64 // time from sample 0 to sample 1
	sample    int   // which sample acc and gyro describe
	acc, gyro [3]float64
}

const deg = math.Pi / 180

// docWants are the values the document states under each example.
var docWants = map[string]any{
	"json-arrays": imuWant{wire.EncodingJSON, 3, 1, 10_000_000, 0, [3]float64{0.12, -0.05, 9.79}, [3]float64{0.01, -0.02, 0.003}},
	"json-g-dps": imuWant{wire.EncodingJSON, 2, 2, 20_000_000, 0,
		[3]float64{0.012 * 9.80665, -0.005 * 9.80665, 0.998 * 9.80665}, [3]float64{1.2 * deg, -0.4 * deg, 0.3 * deg}},
	"json-explicit-times": imuWant{wire.EncodingJSON, 2, 3, 11_500_000, 1, [3]float64{0.15, -0.04, 9.83}, [3]float64{0.012, -0.018, 0.002}},
	"binary-frame": imuWant{wire.EncodingBinary, 2, 5, 10_000_000, 0,
		[3]float64{61.0 / 512, -26.0 / 512, 5013.0 / 512}, [3]float64{41.0 / 4096, -82.0 / 4096, 12.0 / 4096}},
	"line-protocol":  imuWant{wire.EncodingLineProtocol, 2, 4, 10_000_000, 0, [3]float64{0.12, -0.05, 9.79}, [3]float64{0.01, -0.02, 0.003}},
	"status-online":  balance.DeviceStatus{Online: true, BatteryPct: 87.5, Firmware: "1.4.2"},
	"status-offline": balance.DeviceStatus{},
	"event-start":    balance.DeviceEvent{Action: "start", Kind: "exercise", ExerciseID: "tandem-stance", SessionID: "s-0001"},
	"event-stop":     balance.DeviceEvent{Action: "stop", Kind: "exercise", ExerciseID: "tandem-stance", SessionID: "s-0001"},
}

// TestDocExamples runs every mosquitto_pub example of docs/wire-format.md
// through bash with a recording mosquitto_pub, decodes what it published
// and checks the values the document states; it also checks that
// testdata/examples holds the same commands.
func TestDocExamples(t *testing.T) {
	md, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	exs, err := wire.DocExamples(md)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ex := range exs {
		names = append(names, ex.Name)
	}
	for name := range docWants {
		if !slices.Contains(names, name) {
			t.Errorf("document lacks example %q", name)
		}
	}
	checkExampleFiles(t, exs)
	for _, ex := range exs {
		t.Run(ex.Name, func(t *testing.T) {
			want, ok := docWants[ex.Name]
			if !ok {
				t.Fatalf("no expected values for example %q; add them to docWants", ex.Name)
			}
			pubs := runExample(t, ex.Command)
			if len(pubs) != 1 {
				t.Fatalf("published %d messages, want 1", len(pubs))
			}
			p := pubs[0]
			if p.topic != ex.Topic {
				t.Errorf("published to %q, DocExamples says %q", p.topic, ex.Topic)
			}
			if !slices.Contains(p.args, "-q") || p.args[slices.Index(p.args, "-q")+1] != "1" {
				t.Errorf("example does not publish with -q 1: %q", p.args)
			}
			if *updateExamples {
				writeFile(t, filepath.Join("testdata", "payloads", ex.Name), p.payload)
			}
			dev, kind, err := wire.ParseTopic(p.topic)
			if err != nil {
				t.Fatal(err)
			}
			recv := time.Now()
			switch w := want.(type) {
			case imuWant:
				if kind != wire.KindIMU {
					t.Fatalf("kind %v", kind)
				}
				checkIMU(t, dev, p.payload, recv, w)
			case balance.DeviceStatus:
				if kind != wire.KindStatus || !slices.Contains(p.args, "-r") {
					t.Errorf("status must go to the status topic retained: kind %v args %q", kind, p.args)
				}
				got, err := wire.DecodeStatus(dev, p.payload, recv)
				if err != nil {
					t.Fatal(err)
				}
				if got.Online != w.Online || got.BatteryPct != w.BatteryPct || got.Firmware != w.Firmware {
					t.Errorf("status %+v, want %+v", got, w)
				}
				if w.Online && got.DeviceTime.Sub(recv).Abs() > time.Minute {
					t.Errorf("device_time %v is not the time of publishing %v", got.DeviceTime, recv)
				}
			case balance.DeviceEvent:
				if kind != wire.KindEvent {
					t.Fatalf("kind %v", kind)
				}
				got, err := wire.DecodeEvent(dev, p.payload, recv)
				if err != nil {
					t.Fatal(err)
				}
				if got.Action != w.Action || got.Kind != w.Kind || got.ExerciseID != w.ExerciseID || got.SessionID != w.SessionID {
					t.Errorf("event %+v, want %+v", got, w)
				}
				if got.Time.Sub(recv).Abs() > time.Minute {
					t.Errorf("event time %v is not the time of publishing %v", got.Time, recv)
				}
			}
		})
	}
	// The status-online example registers the documented last will.
	for _, ex := range exs {
		if ex.Name == "status-online" && !strings.Contains(ex.Command, "--will-payload '"+string(wire.OfflineWill())+"'") {
			t.Errorf("status-online does not register the will %s", wire.OfflineWill())
		}
	}
}

func checkIMU(t *testing.T, dev string, payload []byte, recv time.Time, w imuWant) {
	t.Helper()
	var b balance.Batch
	enc, err := wire.NewDecoder(wire.DefaultLimits()).DecodeIMU(dev, payload, recv, &b)
	if err != nil {
		t.Fatalf("decode: %v\npayload %q", err, payload)
	}
	if enc != w.enc || len(b.Samples) != w.n || b.Seq != w.seq {
		t.Fatalf("encoding %v, %d samples, seq %d; want %v, %d, %d", enc, len(b.Samples), b.Seq, w.enc, w.n, w.seq)
	}
	if dt := b.Samples[1].TimeNS - b.Samples[0].TimeNS; dt != w.dtNS {
		t.Errorf("samples %d ns apart, want %d", dt, w.dtNS)
	}
	if d := b.Samples[0].Time().Sub(recv).Abs(); d > time.Minute {
		t.Errorf("first sample at %v, %v from the time of publishing", b.Samples[0].Time(), d)
	}
	s := b.Samples[w.sample]
	for k := range 3 {
		// Tolerance: the document rounds nothing here; 1e-12 only absorbs
		// the float64 rounding of the unit conversion.
		if !scalar.EqualWithinAbsOrRel(s.Acc[k], w.acc[k], 1e-12, 1e-12) || !scalar.EqualWithinAbsOrRel(s.Gyro[k], w.gyro[k], 1e-12, 1e-12) {
			t.Errorf("sample %d = acc %v gyro %v, want %v %v", w.sample, s.Acc, s.Gyro, w.acc, w.gyro)
			break
		}
	}
}

// checkExampleFiles compares testdata/examples/<name>.sh with the document.
func checkExampleFiles(t *testing.T, exs []wire.Example) {
	t.Helper()
	dir := filepath.Join("testdata", "examples")
	if *updateExamples {
		old, _ := filepath.Glob(filepath.Join(dir, "*.sh"))
		for _, f := range old {
			os.Remove(f)
		}
		for _, ex := range exs {
			writeFile(t, filepath.Join(dir, ex.Name+".sh"), []byte(ex.Command))
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.sh"))
	if len(files) != len(exs) {
		t.Errorf("testdata/examples has %d files, the document %d examples (run go test -run TestDocExamples -update-examples)", len(files), len(exs))
	}
	for _, ex := range exs {
		b, err := os.ReadFile(filepath.Join(dir, ex.Name+".sh"))
		if err != nil || !bytes.Equal(b, []byte(ex.Command)) {
			t.Errorf("testdata/examples/%s.sh differs from the document (run go test -run TestDocExamples -update-examples)", ex.Name)
		}
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDocExamplesErrors(t *testing.T) {
	ok := "```sh\n# example: a\nmosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -t balance/v1/x/imu -m 'x'\n```\n"
	tests := []struct {
		name string
		md   string
		want int // examples, or -1 for an error
	}{
		{"one", ok, 1},
		{"other blocks ignored", "```sh\necho hi\n```\n```json\n{}\n```\n" + ok, 1},
		{"no name", "```sh\nmosquitto_pub -h 127.0.0.1 -p 1883 -t a/b -m x\n```\n", -1},
		{"duplicate name", ok + ok, -1},
		{"other host", strings.Replace(ok, "127.0.0.1", "broker", 1), -1},
		{"no topic", strings.Replace(ok, "-t balance/v1/x/imu ", "", 1), -1},
		{"unclosed", "```sh\n# example: a\nmosquitto_pub\n", -1},
	}
	for _, tt := range tests {
		exs, err := wire.DocExamples([]byte(tt.md))
		if tt.want < 0 {
			if err == nil {
				t.Errorf("%s: no error", tt.name)
			}
			continue
		}
		if err != nil || len(exs) != tt.want {
			t.Errorf("%s: %d examples, %v; want %d", tt.name, len(exs), err, tt.want)
		}
	}
	exs, _ := wire.DocExamples([]byte(ok))
	if got, want := exs[0].CommandFor("10.0.0.2", 31883), "# example: a\nmosquitto_pub -h 10.0.0.2 -p 31883 -q 1 -t balance/v1/x/imu -m 'x'\n"; got != want {
		t.Errorf("CommandFor = %q, want %q", got, want)
	}
	if exs[0].Topic != "balance/v1/x/imu" {
		t.Errorf("Topic = %q", exs[0].Topic)
	}
}

// TestDocDisplayBlocks decodes the ```json and ```text payload illustrations
// of the IMU section (fixed time stamps, so decoded at their own time).
func TestDocDisplayBlocks(t *testing.T) {
	md, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, part := range strings.Split(string(md), "```")[1:] {
		if lang, body, ok := strings.Cut(part, "\n"); ok && (lang == "json" || lang == "text") && strings.Contains(body, "1795834790000") {
			blocks = append(blocks, body)
		}
	}
	if len(blocks) != 2 {
		t.Fatalf("found %d illustration blocks, want the JSON and the line-protocol one", len(blocks))
	}
	at := time.UnixMilli(1795834790000 + 1000)
	deg := math.Pi / 180
	// Both illustrate the same first sample: acc (0.012, -0.005, 0.998) g,
	// gyro (1.2, -0.4, 0.3) deg/s, seq 42.
	for _, body := range blocks {
		var b balance.Batch
		if _, err := wire.NewDecoder(wire.Limits{}).DecodeIMU("demo-001", []byte(body), at, &b); err != nil {
			t.Fatalf("%v\n%s", err, body)
		}
		s := b.Samples[0]
		want := balance.Sample{TimeNS: 1795834790000 * 1e6, Acc: [3]float64{0.012 * 9.80665, -0.005 * 9.80665, 0.998 * 9.80665}, Gyro: [3]float64{1.2 * deg, -0.4 * deg, 0.3 * deg}}
		if b.Seq != 42 || s != want {
			t.Errorf("seq %d first sample %+v, want 42 %+v", b.Seq, s, want)
		}
	}
}
