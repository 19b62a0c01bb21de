package advisory

import (
	"fmt"
	"math"
	"strings"
)

// cvss3Score computes the CVSS v3.0/v3.1 base score from a vector string
// ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H" -> 8.8), following the
// specification's formulas, so severity comes from the record's own vector
// rather than a label someone typed.
func cvss3Score(vector string) (float64, error) {
	parts := strings.Split(vector, "/")
	if len(parts) < 9 || !(parts[0] == "CVSS:3.1" || parts[0] == "CVSS:3.0") {
		return 0, fmt.Errorf("not a CVSS v3 vector: %q", truncate(vector, 60))
	}
	m := map[string]string{}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, ":")
		if !ok {
			return 0, fmt.Errorf("bad CVSS metric %q", p)
		}
		m[k] = v
	}
	weights := map[string]map[string]float64{
		"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
		"AC": {"L": 0.77, "H": 0.44},
		"UI": {"N": 0.85, "R": 0.62},
		"C":  {"H": 0.56, "L": 0.22, "N": 0},
		"I":  {"H": 0.56, "L": 0.22, "N": 0},
		"A":  {"H": 0.56, "L": 0.22, "N": 0},
	}
	get := func(k string) (float64, error) {
		w, ok := weights[k][m[k]]
		if !ok {
			return 0, fmt.Errorf("bad or missing CVSS metric %s:%q", k, m[k])
		}
		return w, nil
	}
	scope := m["S"]
	if scope != "U" && scope != "C" {
		return 0, fmt.Errorf("bad or missing CVSS metric S:%q", scope)
	}
	var pr float64
	switch m["PR"] {
	case "N":
		pr = 0.85
	case "L":
		pr = 0.62
		if scope == "C" {
			pr = 0.68
		}
	case "H":
		pr = 0.27
		if scope == "C" {
			pr = 0.5
		}
	default:
		return 0, fmt.Errorf("bad or missing CVSS metric PR:%q", m["PR"])
	}
	var w [6]float64
	for i, k := range []string{"AV", "AC", "UI", "C", "I", "A"} {
		v, err := get(k)
		if err != nil {
			return 0, err
		}
		w[i] = v
	}
	av, ac, ui, c, in, a := w[0], w[1], w[2], w[3], w[4], w[5]
	iss := 1 - (1-c)*(1-in)*(1-a)
	var impact float64
	if scope == "U" {
		impact = 6.42 * iss
	} else {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	}
	expl := 8.22 * av * ac * pr * ui
	if impact <= 0 {
		return 0, nil
	}
	if scope == "U" {
		return roundUp(math.Min(impact+expl, 10)), nil
	}
	return roundUp(math.Min(1.08*(impact+expl), 10)), nil
}

// roundUp is the specification's Roundup (v3.1 appendix A), which avoids
// floating-point surprises such as 4.000000001 -> 4.1.
func roundUp(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}

// severityFromScore maps a CVSS base score to the qualitative rating.
func severityFromScore(s float64) string {
	switch {
	case s <= 0:
		return "none"
	case s < 4:
		return "low"
	case s < 7:
		return "medium"
	case s < 9:
		return "high"
	}
	return "critical"
}

// normSeverity folds the labels used by GHSA ("MODERATE") and the seed
// ("MEDIUM") into one vocabulary.
func normSeverity(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return "critical"
	case "high":
		return "high"
	case "moderate", "medium":
		return "medium"
	case "low":
		return "low"
	case "none":
		return "none"
	}
	return ""
}
