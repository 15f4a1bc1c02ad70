package wire

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// Example is one mosquitto_pub example of docs/wire-format.md.
type Example struct {
	// Name is the example's name, from a "# example: <name>" line at the top
	// of its code block; the same example is kept in
	// wire/testdata/examples/<name>.sh.
	Name string
	// Topic is the -t argument of its mosquitto_pub call.
	Topic string
	// Command is the whole code block: shell lines to run with bash. It
	// publishes to -h 127.0.0.1 -p 1883; see CommandFor.
	Command string
}

// DocHost and DocPort are the broker address every documented example uses.
const (
	DocHost = "127.0.0.1"
	DocPort = 1883
)

// CommandFor returns e.Command publishing to host:port instead of
// DocHost:DocPort.
func (e Example) CommandFor(host string, port int) string {
	return strings.ReplaceAll(e.Command,
		fmt.Sprintf("-h %s -p %d", DocHost, DocPort),
		fmt.Sprintf("-h %s -p %d", host, port))
}

var (
	exampleName  = regexp.MustCompile(`^# example: ([a-z0-9][a-z0-9-]*)\s*$`)
	exampleTopic = regexp.MustCompile(`(?:^|\s)-t\s+'?([^\s']+)'?`)
)

// DocExamples extracts the examples from the markdown of the wire-format
// document: every fenced code block tagged sh that calls mosquitto_pub. Each
// must name itself with a "# example: <name>" first line, publish to
// -h 127.0.0.1 -p 1883 and give one topic with -t; names must be unique.
func DocExamples(markdown []byte) ([]Example, error) {
	var (
		out   []Example
		block []string
		in    bool
		start int
		seen  = map[string]bool{}
	)
	sc := bufio.NewScanner(bytes.NewReader(markdown))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case !in && strings.TrimSpace(line) == "```sh":
			in, block, start = true, block[:0], n
		case in && strings.TrimSpace(line) == "```":
			in = false
			cmd := strings.Join(block, "\n") + "\n"
			if !strings.Contains(cmd, "mosquitto_pub") {
				continue
			}
			m := exampleName.FindStringSubmatch(block[0])
			if m == nil {
				return nil, fmt.Errorf("wire: doc example at line %d: first line must be \"# example: <name>\"", start)
			}
			if seen[m[1]] {
				return nil, fmt.Errorf("wire: doc example at line %d: duplicate name %q", start, m[1])
			}
			seen[m[1]] = true
			if !strings.Contains(cmd, fmt.Sprintf("-h %s -p %d", DocHost, DocPort)) {
				return nil, fmt.Errorf("wire: doc example %s: must publish with -h %s -p %d", m[1], DocHost, DocPort)
			}
			ts := exampleTopic.FindAllStringSubmatch(cmd, -1)
			if len(ts) == 0 {
				return nil, fmt.Errorf("wire: doc example %s: no -t topic", m[1])
			}
			for _, t := range ts[1:] {
				if t[1] != ts[0][1] {
					return nil, fmt.Errorf("wire: doc example %s: several topics %q and %q", m[1], ts[0][1], t[1])
				}
			}
			out = append(out, Example{Name: m[1], Topic: ts[0][1], Command: cmd})
		case in:
			block = append(block, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("wire: doc examples: %w", err)
	}
	if in {
		return nil, fmt.Errorf("wire: doc examples: code block at line %d is not closed", start)
	}
	return out, nil
}
