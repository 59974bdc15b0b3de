package tacker

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
)

// ErrNotFound matches (errors.Is) an answer of 404: the VIM is gone.
var ErrNotFound = errors.New("not found")

// Error is an answer of Tacker other than the expected one. Message is
// Tacker's own words, so that `pulumi up` shows why Tacker refused (a
// cluster that refused the token, a duplicate name...). It never holds the
// request, which carries the credentials.
type Error struct {
	Op      string // what was attempted: register VIM "k8s"
	Status  int
	Type    string // Tacker's exception class, when it said
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tacker: %s: %d", e.Op, e.Status)
	if e.Type != "" {
		b.WriteString(" " + e.Type)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) true for a 404, and for Tacker's
// VimNotFoundException whatever its status: that exception is not one of
// Tacker's NotFound classes, so its API fault map need not turn it into 404.
func (e *Error) Is(target error) bool {
	return target == ErrNotFound && (e.Status == 404 || e.Type == "VimNotFoundException")
}

// apiError turns gophercloud's error into an *Error carrying Tacker's
// message; transport errors keep their cause.
func apiError(op string, err error) error {
	var code gophercloud.ErrUnexpectedResponseCode
	if !errors.As(err, &code) {
		return fmt.Errorf("tacker: %s: %w", op, err)
	}
	typ, msg := parseFault(code.Body)
	return &Error{Op: op, Status: code.Actual, Type: typ, Message: msg}
}

// parseFault reads the error bodies Tacker's stack answers with: the v1
// API's {"TackerError": {type, message, detail}}, keystonemiddleware's
// {"error": {code, title, message}} (a refused token), the ETSI
// ProblemDetails {status, detail} of the SOL APIs, and the webob fault
// {"itemNotFound": {code, message}} that tacker/wsgi.py makes of the
// vnfpkgm API's refusals. Anything else is shown as text, cut short.
func parseFault(body []byte) (typ, msg string) {
	var f struct {
		TackerError *struct {
			Type    string `json:"type"`
			Message string `json:"message"`
			Detail  string `json:"detail"`
		} `json:"TackerError"`
		Error *struct {
			Title   string `json:"title"`
			Message string `json:"message"`
		} `json:"error"`
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &f) == nil {
		switch {
		case f.TackerError != nil:
			msg := f.TackerError.Message
			if f.TackerError.Detail != "" {
				msg += " (" + f.TackerError.Detail + ")"
			}
			return f.TackerError.Type, msg
		case f.Error != nil:
			return f.Error.Title, f.Error.Message
		case f.Detail != "":
			return f.Title, f.Detail
		}
		var webob map[string]struct {
			Message *string `json:"message"`
		}
		if json.Unmarshal(body, &webob) == nil && len(webob) == 1 {
			for name, v := range webob {
				if v.Message != nil {
					return name, *v.Message
				}
			}
		}
	}
	text := strings.Join(strings.Fields(string(body)), " ")
	if len(text) > 300 {
		text = text[:300] + "..."
	}
	return "", text
}

func quote(s string) string { return strconv.Quote(s) }
