package automation

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// Summary is the machine-readable result of one operation (the CLI's
// --json output).
type Summary struct {
	Operation string `json:"operation"`
	Stack     string `json:"stack"`
	// Result is "succeeded", "failed", or for drift "no-drift" / "drifted".
	Result string `json:"result"`
	// Changes counts resources per operation as the engine summed them
	// (same, create, update, delete, replace...).
	Changes map[string]int `json:"changes"`
	// ChangesByType counts the resources that changed (any operation but
	// same, read and refresh) per resource type and operation.
	ChangesByType map[string]map[string]int `json:"changesByType"`
	// Changed lists those resources, in URN order.
	Changed []Change `json:"changed"`
	// Drifted is set by Drift when anything changed behind Pulumi's back or
	// the program would change anything.
	Drifted bool `json:"drifted"`
	// Outputs are the stack outputs after up or refresh; secret ones are
	// "[secret]".
	Outputs map[string]any `json:"outputs,omitempty"`
	// DurationSeconds is the wall time of the operation.
	DurationSeconds float64 `json:"durationSeconds"`
	// Error is the engine's error, when the operation failed.
	Error string `json:"error,omitempty"`

	start time.Time
}

// Change is one resource an operation changed (or would change).
type Change struct {
	URN   string   `json:"urn"`
	Type  string   `json:"type"`
	Name  string   `json:"name"`
	Op    string   `json:"op"`
	Diffs []string `json:"diffs,omitempty"`
}

func (s *Summary) fill(rec *recorder, engine map[apitype.OpType]int, err error) {
	s.DurationSeconds = time.Since(s.start).Seconds()
	s.Changes = map[string]int{}
	for op, n := range engine {
		if n > 0 {
			s.Changes[string(op)] = n
		}
	}
	s.ChangesByType = map[string]map[string]int{}
	s.Changed = []Change{}
	rec.mu.Lock()
	for _, c := range rec.ops {
		if !isChange(c.Op) {
			continue
		}
		s.Changed = append(s.Changed, c)
		if s.ChangesByType[c.Type] == nil {
			s.ChangesByType[c.Type] = map[string]int{}
		}
		s.ChangesByType[c.Type][c.Op]++
	}
	diag := rec.diag
	rec.mu.Unlock()
	sort.Slice(s.Changed, func(i, j int) bool { return s.Changed[i].URN < s.Changed[j].URN })

	switch {
	case err != nil:
		s.Result = "failed"
		s.Error = err.Error()
		if len(diag) > 0 {
			s.Error = strings.Join(diag, "\n")
		}
	case s.Operation == "drift" && len(s.Changed) > 0:
		s.Result = "drifted"
	case s.Operation == "drift":
		s.Result = "no-drift"
	default:
		s.Result = "succeeded"
	}
}

// WriteText writes the summary for a person: the result, the changes per
// type, what changed, and the outputs (secrets hidden).
func (s *Summary) WriteText(w io.Writer) {
	fmt.Fprintf(w, "\n%s of stack %s: %s in %.1fs\n", s.Operation, s.Stack, s.Result, s.DurationSeconds)
	if s.Error != "" {
		fmt.Fprintf(w, "error: %s\n", s.Error)
	}
	ops := make([]string, 0, len(s.Changes))
	for op, n := range s.Changes {
		ops = append(ops, fmt.Sprintf("%s %d", op, n))
	}
	sort.Strings(ops)
	if len(ops) > 0 {
		fmt.Fprintf(w, "resources: %s\n", strings.Join(ops, ", "))
	}
	verb := "changed"
	if s.Operation == "drift" {
		verb = "drifted"
	} else if s.Operation == "preview" {
		verb = "would change"
	}
	if len(s.Changed) > 0 {
		fmt.Fprintf(w, "%s:\n", verb)
		for _, c := range s.Changed {
			extra := ""
			if len(c.Diffs) > 0 {
				extra = " (" + strings.Join(c.Diffs, ", ") + ")"
			}
			fmt.Fprintf(w, "  %-8s %s %s%s\n", c.Op, c.Type, c.Name, extra)
		}
	}
	if len(s.Outputs) > 0 {
		keys := make([]string, 0, len(s.Outputs))
		for k := range s.Outputs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintln(w, "outputs:")
		for _, k := range keys {
			fmt.Fprintf(w, "  %s: %v\n", k, s.Outputs[k])
		}
	}
}
