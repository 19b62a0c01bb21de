package web

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// statusColor matches the CSS classes in style.css and the HTML report.
var statusColor = map[string]string{
	"pass": "#1a7f37", "warn": "#d4a72c", "fail": "#cf222e", "manual": "#0969da",
	"error": "#8250df", "unknown": "#8c959f",
}

// trendStack is the order bars are stacked in, bottom up: the bad news sits
// on the axis where it is easiest to compare day to day.
var trendStack = []string{"fail", "error", "warn", "manual", "pass", "unknown"}

// Chart geometry, in SVG user units.
const (
	chartW, chartH          = 720, 200
	chartLeft, chartRight   = 44, 8
	chartTop, chartBottom   = 8, 40
	chartPlotW, chartPlotH  = chartW - chartLeft - chartRight, chartH - chartTop - chartBottom
	legendY                 = chartH - 8
	legendStep              = 112
	barGapRatio             = 0.2
	chartFontSize           = 10
	chartAxisColor          = "#59636e"
	chartGridColor          = "#d0d7de"
	chartDateFormat         = "01-02"
	chartDateTooltipFormat  = "2006-01-02"
	chartMinBarUnits        = 0.5
	chartMaxTickLabelLength = 12
)

// TrendSVG renders per-day counts per status as an inline SVG stacked bar
// chart: a pure function of its input (no clock, no randomness), so it is
// golden-tested. Days are drawn in the order given. Every text node is
// escaped; status names outside the known six are drawn grey and listed
// under their own name so nothing is silently dropped.
func TrendSVG(days []TrendDay, L labeler, title string) template.HTML {
	if len(days) == 0 {
		return ""
	}
	maxTotal := 0
	for _, d := range days {
		t := 0
		for _, n := range d.Counts {
			t += n
		}
		maxTotal = max(maxTotal, t)
	}
	if maxTotal == 0 {
		maxTotal = 1
	}
	stack := append([]string(nil), trendStack...)
	seen := map[string]bool{}
	for _, s := range stack {
		seen[s] = true
	}
	var extra []string
	for _, d := range days {
		for s := range d.Counts {
			if !seen[s] {
				seen[s] = true
				extra = append(extra, s)
			}
		}
	}
	sortStrings(extra)
	stack = append(stack, extra...)

	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg class="trend" width="100%%" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, chartW, chartH, esc(title))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(title))
	// Axis and the top grid line with the scale's maximum.
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"/>`, chartLeft, chartTop, chartW-chartRight, chartTop, chartGridColor)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"/>`, chartLeft, chartTop+chartPlotH, chartW-chartRight, chartTop+chartPlotH, chartAxisColor)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="%d" fill="%s">%d</text>`, chartLeft-4, chartTop+chartFontSize, chartFontSize, chartAxisColor, maxTotal)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="%d" fill="%s">0</text>`, chartLeft-4, chartTop+chartPlotH, chartFontSize, chartAxisColor)

	slot := float64(chartPlotW) / float64(len(days))
	barW := slot * (1 - barGapRatio)
	for i, d := range days {
		x := float64(chartLeft) + float64(i)*slot + (slot-barW)/2
		y := float64(chartTop + chartPlotH)
		day := d.Day.UTC().Format(chartDateTooltipFormat)
		for _, s := range stack {
			n := d.Counts[s]
			if n <= 0 {
				continue
			}
			h := float64(n) * float64(chartPlotH) / float64(maxTotal)
			h = max(h, chartMinBarUnits)
			y -= h
			color, ok := statusColor[s]
			if !ok {
				color = statusColor["unknown"]
			}
			fmt.Fprintf(&b, `<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="%s"><title>%s %s: %d</title></rect>`,
				x, y, barW, h, color, day, esc(statusName(L, s)), n)
		}
		// Date labels: first, last and every seventh day, so 30 days stay
		// readable.
		if i == 0 || i == len(days)-1 || (i%7 == 0 && len(days)-1-i >= 3) {
			fmt.Fprintf(&b, `<text x="%.2f" y="%d" text-anchor="middle" font-size="%d" fill="%s">%s</text>`,
				x+barW/2, chartTop+chartPlotH+chartFontSize+4, chartFontSize, chartAxisColor, d.Day.UTC().Format(chartDateFormat))
		}
	}
	// Legend.
	for i, s := range stack {
		if i >= len(trendStack) && !anyCount(days, s) {
			continue
		}
		x := chartLeft + i*legendStep
		color, ok := statusColor[s]
		if !ok {
			color = statusColor["unknown"]
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" font-size="%d" fill="#1f2328">%s</text>`,
			x, legendY-9, color, x+14, legendY, chartFontSize, esc(truncate(statusName(L, s), chartMaxTickLabelLength)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // built above from escaped parts only
}

func anyCount(days []TrendDay, s string) bool {
	for _, d := range days {
		if d.Counts[s] > 0 {
			return true
		}
	}
	return false
}

// statusName is the label of a status, or the status itself when the
// catalogue has none (a status from a newer agent).
func statusName(L labeler, s string) string {
	if v, ok := L["st_"+s]; ok {
		return v
	}
	return s
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
