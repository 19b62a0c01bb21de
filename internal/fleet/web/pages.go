package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clawgov/clawgov/internal/catalog"
)

//go:embed templates/*.tmpl templates/style.css
var templateFS embed.FS

var (
	cssText = mustRead("templates/style.css")
	// pageTemplates are parsed once, on first use: the layout plus one
	// content template each. Lazily, because every clawgov command links
	// this package and an audit must not pay for parsing the dashboard.
	pageTemplates = sync.OnceValue(func() map[string]*template.Template {
		m := map[string]*template.Template{}
		for _, name := range []string{"login", "setup", "error", "overview", "hosts", "host", "findings", "unmanaged"} {
			m[name] = template.Must(template.New(name).ParseFS(templateFS, "templates/layout.tmpl", "templates/"+name+".tmpl"))
		}
		return m
	})
)

func mustRead(name string) string {
	b, err := templateFS.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Page is what every template sees: the chrome (language, user, CSRF
// token, navigation) and the page's own view model in Body.
type Page struct {
	L         labeler
	Lang      catalog.Lang
	HTMLLang  string
	OtherLang string
	LangURL   string
	Title     string
	Nav       string
	User      *User
	CSRF      string
	Flash     string
	CSS       template.CSS
	Prefix    string
	Body      any
}

// T returns a label in the page language.
func (p *Page) T(key string) string { return p.L.get(key) }

// U prefixes an absolute dashboard path with the mount prefix.
func (p *Page) U(path string) string { return p.Prefix + path }

// StatusView is a status and its label, for the "st" template.
type StatusView struct{ Status, Label string }

// Status returns the view of one status.
func (p *Page) Status(s string) StatusView {
	s = orUnknown(s)
	return StatusView{Status: cssStatus(s), Label: statusName(p.L, s)}
}

// cssStatus keeps class names to the known vocabulary: a status string
// from an agent never becomes arbitrary class text.
func cssStatus(s string) string {
	switch s {
	case "pass", "warn", "fail", "manual", "error", "unknown", "skip", "waived":
		return s
	}
	return "unknown"
}

func newPage(L labeler, lang catalog.Lang, prefix string) *Page {
	p := &Page{L: L, Lang: lang, HTMLLang: "en", OtherLang: "zh", CSS: template.CSS(cssText), Prefix: prefix}
	if lang == catalog.ZH {
		p.HTMLLang, p.OtherLang = "zh-CN", "en"
	}
	return p
}

// render executes one page template.
func render(w io.Writer, name string, p *Page) error {
	t, ok := pageTemplates()[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// fmtTime formats a server-clock time for tables; zero is "never".
func fmtTime(L labeler, t time.Time) string {
	if t.IsZero() {
		return L.get("never")
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// controlInfo is one of the 12 controls, with its title in one language.
type controlInfo struct {
	ID, Kind string
	Title    catalog.Text
}

// fleetControls lists the 12 controls in catalog order.
func fleetControls(cat *catalog.Catalog) []controlInfo {
	out := make([]controlInfo, 0, len(cat.Controls))
	for _, c := range cat.Controls {
		out = append(out, controlInfo{ID: c.ID, Kind: c.Kind, Title: c.Title})
	}
	return out
}

// --- overview ---

// GridCell is one count of the fleet grid.
type GridCell struct {
	Status string
	N      int
	URL    string
}

// GridRow is one control of the fleet grid.
type GridRow struct {
	ID, Title string
	Cells     []GridCell
}

// OverviewView is the overview page.
type OverviewView struct {
	Summary   Summary
	Reporting int
	AsOf      string
	Statuses  []StatusView
	Rows      []GridRow
	Trend     template.HTML
	Gateways  []Gateway
}

func (p *Page) statusViews() []StatusView {
	out := make([]StatusView, 0, len(Statuses))
	for _, s := range Statuses {
		out = append(out, p.Status(s))
	}
	return out
}

func buildOverview(p *Page, ctls []controlInfo, s Summary, trend []TrendDay, gws []Gateway) OverviewView {
	v := OverviewView{Summary: s, Reporting: s.Hosts - s.Stale, AsOf: fmtTime(p.L, s.AsOf), Statuses: p.statusViews(), Gateways: gws}
	for _, c := range ctls {
		row := GridRow{ID: c.ID, Title: c.Title.Get(p.Lang)}
		counts := s.Controls[c.ID]
		for _, st := range Statuses {
			q := url.Values{"control": {c.ID}, "status": {st}}
			row.Cells = append(row.Cells, GridCell{Status: st, N: counts[st], URL: p.U("/hosts?" + q.Encode())})
		}
		v.Rows = append(v.Rows, row)
	}
	v.Trend = TrendSVG(trend, p.L, p.T("trend"))
	return v
}

// --- hosts ---

// HostCell is one control of one host in the table.
type HostCell struct {
	ID, Status, Label, Short string
}

// HostRow is one row of the hosts table.
type HostRow struct {
	Host
	URL, Version, LastSeen, LastReport string
	Cells                              []HostCell
}

// HostsView is the hosts page.
type HostsView struct {
	F                      HostFilter
	Rows                   []HostRow
	Total                  int
	ControlIDs             []string
	Statuses               []StatusView
	PrevURL, NextURL       string
	ExportCSV, ExportJSONL string
}

func hostCells(p *Page, ctls []controlInfo, h Host) []HostCell {
	cells := make([]HostCell, 0, len(ctls))
	for _, c := range ctls {
		st := p.Status(h.Controls[c.ID])
		if h.Stale {
			// A stale host's last result is history, not its state.
			st = p.Status("unknown")
		}
		short := strings.ToUpper(st.Status[:1])
		cells = append(cells, HostCell{ID: c.ID, Status: st.Status, Label: c.ID + ": " + st.Label, Short: short})
	}
	return cells
}

func hostRow(p *Page, ctls []controlInfo, h Host) HostRow {
	return HostRow{
		Host: h, URL: p.U("/hosts/" + url.PathEscape(h.ID)), Version: orDash(h.OpenClawVersion),
		LastSeen: fmtTime(p.L, h.LastSeen), LastReport: fmtTime(p.L, h.LastReport), Cells: hostCells(p, ctls, h),
	}
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func (f HostFilter) values() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("q", f.Q)
	set("control", f.Control)
	set("status", f.Status)
	set("version", f.Version)
	set("profile", f.Profile)
	set("stale", f.Stale)
	set("tag", f.Tag)
	return q
}

func buildHosts(p *Page, ctls []controlInfo, f HostFilter, hp HostPage) HostsView {
	v := HostsView{F: f, Total: hp.Total, Statuses: p.statusViews()}
	for _, c := range ctls {
		v.ControlIDs = append(v.ControlIDs, c.ID)
	}
	for _, h := range hp.Hosts {
		v.Rows = append(v.Rows, hostRow(p, ctls, h))
	}
	q := f.values()
	if f.Offset > 0 {
		pq := f.values()
		if o := max(f.Offset-f.Limit, 0); o > 0 {
			pq.Set("offset", strconv.Itoa(o))
		}
		v.PrevURL = p.U("/hosts?" + pq.Encode())
	}
	if f.Offset+len(hp.Hosts) < hp.Total {
		nq := f.values()
		nq.Set("offset", strconv.Itoa(f.Offset+f.Limit))
		v.NextURL = p.U("/hosts?" + nq.Encode())
	}
	v.ExportCSV = p.U("/export/hosts.csv?" + q.Encode())
	v.ExportJSONL = p.U("/export/hosts.jsonl?" + q.Encode())
	return v
}

// --- host ---

// HistCell is one day of one control's history.
type HistCell struct{ Day, Status, Label string }

// HistRow is one control's history.
type HistRow struct {
	ID    string
	Cells []HistCell
}

// ReportRow is one report in the host's list.
type ReportRow struct {
	ID, URL, Received, Created string
}

// HostView is the host page.
type HostView struct {
	H                           Host
	LastSeen, LastReport        string
	Cells                       []HostCell
	ReportURL, ReportJSONURL    string
	LatestID                    string
	Reports                     []ReportRow
	HistDays                    []string
	Hist                        []HistRow
	From, To                    string
	Diff                        *ReportDiff
	SelfURL, TagsURL, TagsValue string
}

// historyDays is how many days of history the host page draws.
const historyDays = 30

// buildHistory fills the per-control grid for the days ending at end:
// entries are changes only, so each day carries the last status forward;
// before the first entry a control is unknown.
func buildHistory(p *Page, ctls []controlInfo, entries []HistoryEntry, end time.Time, days int) ([]string, []HistRow) {
	if len(entries) == 0 {
		return nil, nil
	}
	sorted := append([]HistoryEntry(nil), entries...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Day.Before(sorted[j].Day) })
	endDay := truncDay(end)
	start := endDay.AddDate(0, 0, -(days - 1))
	var dayNames []string
	for i := range days {
		dayNames = append(dayNames, start.AddDate(0, 0, i).Format("2006-01-02"))
	}
	var rows []HistRow
	for _, c := range ctls {
		row := HistRow{ID: c.ID}
		cur := "unknown"
		k := 0
		var mine []HistoryEntry
		for _, e := range sorted {
			if e.Control == c.ID {
				mine = append(mine, e)
			}
		}
		for i := range days {
			d := start.AddDate(0, 0, i)
			for k < len(mine) && !truncDay(mine[k].Day).After(d) {
				cur = orUnknown(mine[k].Status)
				k++
			}
			st := p.Status(cur)
			row.Cells = append(row.Cells, HistCell{Day: dayNames[i], Status: st.Status, Label: st.Label})
		}
		rows = append(rows, row)
	}
	return dayNames, rows
}

func truncDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func reportURL(p *Page, hostID, reportID string) string {
	return p.U("/hosts/" + url.PathEscape(hostID) + "/reports/" + url.PathEscape(reportID))
}

// --- findings ---

// FindingRow is one row of the fleet findings table.
type FindingRow struct {
	FleetFinding
	HostURL, CheckURL string
}

// FindingsView is the findings page.
type FindingsView struct {
	F                      FindingFilter
	Rows                   []FindingRow
	HostCount              int
	ControlIDs             []string
	Statuses               []StatusView
	ExportCSV, ExportJSONL string
}

func (f FindingFilter) values() url.Values {
	q := url.Values{}
	if f.Check != "" {
		q.Set("check", f.Check)
	}
	if f.Control != "" {
		q.Set("control", f.Control)
	}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	return q
}

func buildFindings(p *Page, ctls []controlInfo, f FindingFilter, fs []FleetFinding) FindingsView {
	v := FindingsView{F: f, Statuses: p.statusViews()}
	for _, c := range ctls {
		v.ControlIDs = append(v.ControlIDs, c.ID)
	}
	hosts := map[string]bool{}
	for _, x := range fs {
		hosts[x.HostID] = true
		v.Rows = append(v.Rows, FindingRow{
			FleetFinding: x,
			HostURL:      p.U("/hosts/" + url.PathEscape(x.HostID)),
			CheckURL:     p.U("/findings?" + url.Values{"check": {x.CheckID}}.Encode()),
		})
	}
	v.HostCount = len(hosts)
	q := f.values().Encode()
	v.ExportCSV = p.U("/export/findings.csv?" + q)
	v.ExportJSONL = p.U("/export/findings.jsonl?" + q)
	return v
}

// --- unmanaged ---

// GatewayRow is one unmanaged gateway.
type GatewayRow struct {
	Gateway
	FirstSeen, LastSeen string
}

// UnmanagedView is the unmanaged gateways page.
type UnmanagedView struct{ Rows []GatewayRow }

func buildUnmanaged(p *Page, gws []Gateway) UnmanagedView {
	var v UnmanagedView
	for _, g := range gws {
		v.Rows = append(v.Rows, GatewayRow{Gateway: g, FirstSeen: fmtTime(p.L, g.FirstSeen), LastSeen: fmtTime(p.L, g.LastSeen)})
	}
	return v
}

// LoginView is the login form.
type LoginView struct{ Next, Username string }

// ErrorView is an error page.
type ErrorView struct{ Message string }
