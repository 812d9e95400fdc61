package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"time"
)

// The colours of the charts' bars; the tests look for them in a
// screenshot of the page.
const (
	colourGranted = "#2f6fb0"
	colourRefused = "#d0433a"
)

//go:embed report.html.tmpl
var pageSource string

var page = template.Must(template.New("report").Parse(pageSource))

// WriteHTML writes the report as one self-contained HTML page: inline CSS,
// inline SVG charts, no external assets and no script. Strings are escaped
// as for the terminal, then by html/template.
func (r *Report) WriteHTML(w io.Writer) error {
	return page.Execute(w, r.view())
}

// Cell widths in the page, in runes.
const (
	hService = 40
	hSource  = 43
	hName    = 64
	hRule    = 64
)

type htmlView struct {
	Window   string
	Zone     string
	Cards    []htmlCard
	Granted  string // colours
	Refused  string
	Timeline svgTimeline
	Chart    svgServices
	Tables   []htmlTable
	Notes    []string
}

type htmlCard struct{ Label, Value, Class string }

type htmlTable struct {
	ID, Title, Note string
	Head            []string
	Num             int // columns from Num on are numbers
	Wrap            int // the column that may wrap (a name or a rule), -1 for none
	Rows            [][]htmlCell
}

type htmlCell struct{ Text, Full string } // Full: the unclipped text, when clipped

// class returns the CSS class of column i.
func (t htmlTable) Class(i int) string {
	switch {
	case i >= t.Num:
		return "num"
	case i == t.Wrap:
		return "mono wrap"
	}
	return "mono"
}

func hcell(s string, w int) htmlCell {
	c := htmlCell{Text: cell(s, w)}
	if full := escape(s); full != c.Text && s != "" {
		c.Full = full
	}
	return c
}

func hnum(n int64) htmlCell   { return htmlCell{Text: num(n)} }
func htext(s string) htmlCell { return htmlCell{Text: s} }

func (r *Report) view() *htmlView {
	loc := r.loc()
	v := &htmlView{
		Window:  fmt.Sprintf("%s to %s", r.From.In(loc).Format(dateHour), r.To.In(loc).Format(dateHour)),
		Zone:    r.zone(),
		Granted: colourGranted,
		Refused: colourRefused,
	}
	share := "-"
	if r.Events > 0 {
		share = strconv.FormatFloat(100*float64(r.Refused)/float64(r.Events), 'f', 1, 64) + "%"
	}
	v.Cards = []htmlCard{
		{"Events", num(r.Events), ""},
		{"Granted", num(r.Granted), "granted"},
		{"Refused", num(r.Refused), "refused"},
		{"Refused share", share, ""},
		{"Services", num(int64(len(r.Services))), ""},
		{"New sources", num(int64(r.NewSourcesTotal)), ""},
	}
	if r.Outside > 0 {
		v.Cards = append(v.Cards, htmlCard{"Outside window", num(r.Outside), ""})
	}
	v.Timeline = timelineChart(r.Timeline, loc)
	v.Chart = servicesChart(r.Services)

	t := htmlTable{ID: "services", Title: "Services", Num: 1, Wrap: 0, Head: []string{"Service", "Attempts", "Granted", "Refused"}}
	for _, s := range r.Services {
		t.Rows = append(t.Rows, []htmlCell{hcell(s.Service, hService), hnum(s.Attempts), hnum(s.Granted), hnum(s.Refused)})
	}
	if o := r.OtherServices; o != nil {
		t.Rows = append(t.Rows, []htmlCell{htext("(other services)"), hnum(o.Attempts), hnum(o.Granted), hnum(o.Refused)})
	}
	v.Tables = append(v.Tables, t)

	t = htmlTable{ID: "sources", Title: "Top refused sources", Num: 4, Wrap: 1, Head: []string{"Source", "Name", "Last service", "Last refused", "Refused"}}
	if !r.SourcesExact {
		t.Head = []string{"Source", "Name", "Last service", "Last refused", "Overcount", "Refused"}
		t.Note = "Too many distinct sources to count exactly: Refused is an upper bound, at most Overcount above the true count."
	}
	for _, s := range r.Sources {
		row := []htmlCell{hcell(s.Source, hSource), hcell(s.Name, hName), hcell(s.LastService, hService), htext(s.Last.In(loc).Format(dateHour))}
		if !r.SourcesExact {
			row = append(row, hnum(s.Overcount))
		}
		t.Rows = append(t.Rows, append(row, hnum(s.Refused)))
	}
	v.Tables = append(v.Tables, t)

	t = htmlTable{ID: "new-sources", Title: fmt.Sprintf("First-seen sources (%d)", r.NewSourcesTotal), Num: 4, Wrap: 1,
		Head: []string{"Source", "Name", "First service", "First seen", "Attempts", "Granted", "Refused"}}
	for _, s := range r.NewSources {
		t.Rows = append(t.Rows, []htmlCell{hcell(s.Source, hSource), hcell(s.Name, hName), hcell(s.Service, hService),
			htext(s.First.In(loc).Format(dateHour)), hnum(s.Attempts), hnum(s.Granted), hnum(s.Refused)})
	}
	if more := r.NewSourcesTotal - len(r.NewSources); more > 0 {
		t.Note = fmt.Sprintf("%d more not shown.", more)
	}
	if r.NewSourceEventsUntracked > 0 {
		t.Note = join(t.Note, fmt.Sprintf("%d %s from further new sources not tracked.", r.NewSourceEventsUntracked, plural(r.NewSourceEventsUntracked, "event", "events")))
	}
	v.Tables = append(v.Tables, t)

	t = htmlTable{ID: "rules", Title: "Rules that decided most often", Num: 1, Wrap: 0, Head: []string{"Rule", "Decisions", "Granted", "Refused"}}
	for _, s := range r.Rules {
		t.Rows = append(t.Rows, []htmlCell{hcell(s.Rule, hRule), hnum(s.Attempts), hnum(s.Granted), hnum(s.Refused)})
	}
	if o := r.OtherRules; o != nil {
		t.Rows = append(t.Rows, []htmlCell{htext("(other rules)"), hnum(o.Attempts), hnum(o.Granted), hnum(o.Refused)})
	}
	if r.NoRule > 0 {
		t.Note = fmt.Sprintf("%d %s named no rule (only our JSON and RFC 5424 records name it).", r.NoRule, plural(r.NoRule, "event", "events"))
	}
	v.Tables = append(v.Tables, t)

	v.Notes = []string{
		fmt.Sprintf("IPv6 sources are counted per /%d.", r.IPv6Prefix),
		"Names come from the logs and may have been chosen by an attacker; control and invisible characters are shown as escapes such as \\x1b or \\u202e.",
	}
	return v
}

// Timeline chart geometry, in pixels.
const (
	tlWidth   = 1060
	tlHeight  = 250
	tlLeft    = 56 // room for the y labels
	tlRight   = 28 // room for the last x label
	tlTop     = 12
	tlBottom  = 40 // room for the x labels
	tlMaxBars = 168
)

type svgTimeline struct {
	Width, Height int
	Caption       string
	Empty         bool
	Grid          []svgGrid
	Bars          []svgBar
	Labels        []svgLabel
	Left, Right   int
	Base          string // y of the x axis
}

type svgGrid struct{ Y, LabelY, Label string }

type svgBar struct {
	X, W       string
	GY, GH     string // granted part
	RY, RH     string // refused part, on top
	Title      string
	HasG, HasR bool
}

type svgLabel struct{ X, Y, Text string }

func px(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

func timelineChart(tl []Hour, loc *time.Location) svgTimeline {
	bars, per := group(tl, tlMaxBars)
	c := svgTimeline{Width: tlWidth, Height: tlHeight, Left: tlLeft, Right: tlWidth - tlRight}
	c.Caption = "Grants and refusals per hour"
	if per > 1 {
		c.Caption = fmt.Sprintf("Grants and refusals per %d hours", per)
	}
	plotW := float64(tlWidth - tlLeft - tlRight)
	plotH := float64(tlHeight - tlTop - tlBottom)
	base := float64(tlHeight - tlBottom)
	c.Base = px(base)
	var peak int64
	for _, h := range bars {
		peak = max(peak, h.Granted+h.Refused)
	}
	if peak == 0 || len(bars) == 0 {
		c.Empty = true
		return c
	}
	top := niceCeil(peak)
	marks := []int64{0, top}
	if top%2 == 0 {
		marks = []int64{0, top / 2, top}
	}
	for _, f := range marks {
		y := base - plotH*float64(f)/float64(top)
		c.Grid = append(c.Grid, svgGrid{Y: px(y), LabelY: px(y + 4), Label: num(f)})
	}
	step := plotW / float64(len(bars))
	gap := 0.0
	if step >= 4 {
		gap = step * 0.2
	}
	for i, h := range bars {
		x := float64(tlLeft) + float64(i)*step + gap/2
		gh := plotH * float64(h.Granted) / float64(top)
		rh := plotH * float64(h.Refused) / float64(top)
		end := h.Start.Add(time.Duration(per) * time.Hour)
		c.Bars = append(c.Bars, svgBar{
			X: px(x), W: px(step - gap),
			GY: px(base - gh), GH: px(gh), HasG: h.Granted > 0,
			RY: px(base - gh - rh), RH: px(rh), HasR: h.Refused > 0,
			Title: fmt.Sprintf("%s to %s: %d granted, %d refused", h.Start.In(loc).Format(dateHour), end.In(loc).Format("15:04"), h.Granted, h.Refused),
		})
	}
	c.Labels = timeLabels(bars, per, loc, step)
	return c
}

// timeLabels labels at most about twelve bars of the timeline, at round
// local times: every s hours for the smallest s in 1, 2, 3, 6 or 12 that
// is a multiple of the hours per bar, or else the first bar of every
// day, every second day and so on. Labels on days show the date. In a
// zone whose offset is not whole hours no bar starts at a round time, and
// every n-th bar is labelled.
func timeLabels(bars []Hour, per int, loc *time.Location, step float64) []svgLabel {
	const most = 12
	span := 0
	for _, s := range []int{1, 2, 3, 6, 12, 24, 48, 72, 168, 336, 672, 1344, 2688, 5376, 10752} {
		if (s%per == 0 || s >= 24) && len(bars)*per/s < most {
			span = s
			break
		}
	}
	label := func(i int, t time.Time, date bool) svgLabel {
		text := t.Format("15:04")
		if date {
			text = t.Format("Jan 2")
		}
		x := float64(tlLeft) + (float64(i)+0.5)*step
		return svgLabel{X: px(x), Y: px(tlHeight - tlBottom + 18), Text: text}
	}
	var out []svgLabel
	prev := 0
	for i, b := range bars {
		t := b.Start.In(loc)
		day := civilDay(t)
		switch {
		case span == 0:
		case span < 24:
			if t.Minute() == 0 && t.Second() == 0 && t.Hour()%span == 0 {
				out = append(out, label(i, t, t.Hour() == 0))
			}
		default:
			if (i == 0 || day != prev) && day%(span/24) == 0 {
				out = append(out, label(i, t, true))
			}
		}
		prev = day
	}
	if len(out) == 0 {
		every := max(1, (len(bars)+most-1)/most)
		for i := 0; i < len(bars); i += every {
			out = append(out, label(i, bars[i].Start.In(loc), per >= 24))
		}
	}
	return out
}

// civilDay numbers t's calendar date, counting from 1970-01-01.
func civilDay(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// niceCeil returns the smallest round number at least n: 1, 1.2, 1.5,
// 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten, so that the axis labels
// are round and the tallest bar fills most of the height.
func niceCeil(n int64) int64 {
	for p := int64(1); p <= 1e17; p *= 10 {
		for _, m := range []int64{10, 12, 15, 20, 25, 30, 40, 50, 60, 80} {
			if v := m * p; v%10 == 0 && v/10 >= n {
				return v / 10
			}
		}
	}
	return n
}

// Services chart geometry.
const (
	scWidth   = 1060
	scRow     = 26
	scLabel   = 240 // label column width
	scBar     = 640 // longest bar
	scMaxRows = 15
)

type svgServices struct {
	Width, Height int
	Rows          []svgServiceRow
	More          int // services not drawn
}

type svgServiceRow struct {
	Label, Full       string
	LabelX, TextY     string
	Y, H              string
	GX, GW, RX, RW    string
	HasG, HasR        bool
	ValueX, ValueText string
}

func servicesChart(ss []ServiceStat) svgServices {
	n := min(len(ss), scMaxRows)
	c := svgServices{Width: scWidth, Height: n*scRow + 8, More: len(ss) - n}
	var peak int64
	for _, s := range ss[:n] {
		peak = max(peak, s.Attempts)
	}
	for i, s := range ss[:n] {
		y := float64(4 + i*scRow)
		gw, rw := 0.0, 0.0
		if peak > 0 {
			gw = scBar * float64(s.Granted) / float64(peak)
			rw = scBar * float64(s.Refused) / float64(peak)
		}
		x := float64(scLabel + 10)
		hc := hcell(s.Service, 32)
		c.Rows = append(c.Rows, svgServiceRow{
			Label: hc.Text, Full: hc.Full,
			LabelX: px(scLabel), TextY: px(y + 16),
			Y: px(y + 3), H: px(scRow - 8),
			GX: px(x), GW: px(gw), HasG: s.Granted > 0,
			RX: px(x + gw), RW: px(rw), HasR: s.Refused > 0,
			ValueX:    px(x + gw + rw + 8),
			ValueText: fmt.Sprintf("%d %s, %d refused", s.Attempts, plural(s.Attempts, "attempt", "attempts"), s.Refused),
		})
	}
	return c
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
