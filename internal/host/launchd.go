package host

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxPlistDepth bounds nesting so hostile plists cannot exhaust the stack.
const maxPlistDepth = 32

// LaunchdJob is the part of a launchd job plist clawgov needs.
type LaunchdJob struct {
	Label            string
	UserName         string
	GroupName        string
	Program          string
	ProgramArguments []string
	Environment      map[string]string
	// RunAtLoad and KeepAlive are nil when absent.
	RunAtLoad *bool
	KeepAlive *bool
	// StartInterval (seconds) and StartCalendarInterval make a job
	// periodic; Schedule renders whichever is set ("" when neither).
	Schedule string
}

// ParsePlist parses an XML property list whose top level is a dictionary
// and extracts the launchd job keys. Binary plists are refused with an
// error (they need a different decoder).
func ParsePlist(data []byte) (*LaunchdJob, error) {
	if bytes.HasPrefix(data, []byte("bplist")) {
		return nil, errors.New("binary plist not supported")
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	var top any
	found := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("plist: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if se.Name.Local == "plist" {
			continue
		}
		top, err = plistValue(d, se, 0)
		if err != nil {
			return nil, err
		}
		found = true
		break
	}
	dict, ok := top.(map[string]any)
	if !found || !ok {
		return nil, errors.New("plist: top level is not a dictionary")
	}
	job := &LaunchdJob{}
	job.Label, _ = dict["Label"].(string)
	job.UserName, _ = dict["UserName"].(string)
	job.GroupName, _ = dict["GroupName"].(string)
	job.Program, _ = dict["Program"].(string)
	if arr, ok := dict["ProgramArguments"].([]any); ok {
		for _, a := range arr {
			if s, ok := a.(string); ok {
				job.ProgramArguments = append(job.ProgramArguments, s)
			}
		}
	}
	if env, ok := dict["EnvironmentVariables"].(map[string]any); ok {
		job.Environment = map[string]string{}
		for k, v := range env {
			if s, ok := v.(string); ok {
				job.Environment[k] = s
			}
		}
	}
	if b, ok := dict["RunAtLoad"].(bool); ok {
		job.RunAtLoad = &b
	}
	switch v := dict["KeepAlive"].(type) {
	case bool:
		job.KeepAlive = &v
	case map[string]any:
		t := true // conditional keep-alive still restarts the job
		job.KeepAlive = &t
	}
	switch v := dict["StartInterval"].(type) {
	case plistScalar:
		job.Schedule = "StartInterval=" + string(v)
	case string:
		job.Schedule = "StartInterval=" + v
	}
	switch v := dict["StartCalendarInterval"].(type) {
	case map[string]any:
		job.Schedule = "StartCalendarInterval " + calendarString(v)
	case []any:
		var parts []string
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				parts = append(parts, calendarString(m))
			}
		}
		job.Schedule = "StartCalendarInterval " + strings.Join(parts, "; ")
	}
	return job, nil
}

// calendarString renders a StartCalendarInterval dictionary in a fixed
// key order.
func calendarString(m map[string]any) string {
	var parts []string
	for _, k := range []string{"Month", "Day", "Weekday", "Hour", "Minute"} {
		switch v := m[k].(type) {
		case plistScalar:
			parts = append(parts, k+"="+string(v))
		case string:
			parts = append(parts, k+"="+v)
		}
	}
	if len(parts) == 0 {
		return "{}"
	}
	return strings.Join(parts, ",")
}

// plistScalar is an <integer>, <real>, <date> or <data> value: kept apart
// from strings because launchd only accepts strings in ProgramArguments
// and EnvironmentVariables.
type plistScalar string

// plistValue decodes the element that se started.
func plistValue(d *xml.Decoder, se xml.StartElement, depth int) (any, error) {
	if depth > maxPlistDepth {
		return nil, errors.New("plist: nesting too deep")
	}
	switch se.Name.Local {
	case "dict":
		m := map[string]any{}
		key := ""
		haveKey := false
		for {
			tok, err := d.Token()
			if err != nil {
				return nil, fmt.Errorf("plist dict: %w", err)
			}
			switch t := tok.(type) {
			case xml.EndElement:
				return m, nil
			case xml.StartElement:
				if t.Name.Local == "key" {
					s, err := plistText(d)
					if err != nil {
						return nil, err
					}
					key, haveKey = s, true
					continue
				}
				v, err := plistValue(d, t, depth+1)
				if err != nil {
					return nil, err
				}
				if haveKey {
					m[key] = v
					haveKey = false
				}
			}
		}
	case "array":
		var arr []any
		for {
			tok, err := d.Token()
			if err != nil {
				return nil, fmt.Errorf("plist array: %w", err)
			}
			switch t := tok.(type) {
			case xml.EndElement:
				return arr, nil
			case xml.StartElement:
				v, err := plistValue(d, t, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
		}
	case "true", "false":
		if err := d.Skip(); err != nil {
			return nil, fmt.Errorf("plist: %w", err)
		}
		return se.Name.Local == "true", nil
	case "string", "integer", "real", "date", "data":
		s, err := plistText(d)
		if err != nil {
			return nil, err
		}
		if se.Name.Local != "string" {
			return plistScalar(strings.TrimSpace(s)), nil
		}
		return s, nil
	default:
		if err := d.Skip(); err != nil {
			return nil, fmt.Errorf("plist: %w", err)
		}
		return nil, nil
	}
}

// plistText reads character data up to the end of the current element.
func plistText(d *xml.Decoder) (string, error) {
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return "", fmt.Errorf("plist text: %w", err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if b.Len()+len(t) > MaxFileSize {
				return "", errors.New("plist: value too large")
			}
			b.Write(t)
		case xml.EndElement:
			return b.String(), nil
		case xml.StartElement:
			return "", fmt.Errorf("plist: unexpected <%s> in text", t.Name.Local)
		}
	}
}

// launchdUnit converts a job into a Unit. daemon is true for
// /Library/LaunchDaemons (runs as root unless UserName says otherwise).
func launchdUnit(p string, job *LaunchdJob, owner string, daemon bool) Unit {
	u := Unit{Path: p, Kind: "launchd", Name: job.Label, User: job.UserName, Group: job.GroupName, Owner: owner,
		Environment: map[string]string{}, EnvSource: map[string]string{}, Hardening: map[string]string{}}
	for k, v := range job.Environment {
		u.Environment[k], u.EnvSource[k] = v, "EnvironmentVariables "+p
	}
	u.Args = redactArgv(job.ProgramArguments)
	if len(u.Args) == 0 && job.Program != "" {
		u.Args = []string{job.Program}
	}
	u.ExecStart = strings.Join(u.Args, " ")
	switch {
	case u.User != "":
		u.RunAs = u.User
	case daemon:
		u.RunAs = "root"
	default:
		u.RunAs = owner
	}
	if (job.RunAtLoad != nil && *job.RunAtLoad) || (job.KeepAlive != nil && *job.KeepAlive) {
		t := true
		u.Enabled = &t
	}
	return u
}
