package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Column widths, in runes, beyond which cells are clipped.
const (
	wService = 24
	wSource  = 43 // the longest IPv6 prefix: 39 + "/128"
	wName    = 40
	wRule    = 48
	barWidth = 40
)

const (
	dateHour = "2006-01-02 15:04"
)

// WriteText writes the report as aligned text tables for a terminal or a
// plain-text mail. Every line is one row; see the package documentation
// for how strings are escaped.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	loc := r.loc()
	fmt.Fprintf(bw, "tcpdwatch report: %s to %s (%s)\n", r.From.In(loc).Format(dateHour), r.To.In(loc).Format(dateHour), r.zone())
	fmt.Fprintf(bw, "events: %d (granted %d, refused %d)", r.Events, r.Granted, r.Refused)
	if r.Outside > 0 {
		fmt.Fprintf(bw, "; %d outside the window", r.Outside)
	}
	bw.WriteString("\n")

	t := table{title: "Services", head: []string{"SERVICE", "ATTEMPTS", "GRANTED", "REFUSED"}, right: 1}
	for _, s := range r.Services {
		t.add(cell(s.Service, wService), num(s.Attempts), num(s.Granted), num(s.Refused))
	}
	if o := r.OtherServices; o != nil {
		t.add("(other services)", num(o.Attempts), num(o.Granted), num(o.Refused))
	}
	t.write(bw)

	t = table{title: "Top refused sources", right: 4, head: []string{"SOURCE", "NAME", "LAST SERVICE", "LAST REFUSED", "REFUSED"}}
	if !r.SourcesExact {
		t.head = append(t.head[:4], "OVERCOUNT", "REFUSED")
		t.note = "too many distinct sources to count exactly: REFUSED is an upper bound, at most OVERCOUNT above the true count"
	}
	for _, s := range r.Sources {
		row := []string{cell(s.Source, wSource), cell(s.Name, wName), cell(s.LastService, wService), s.Last.In(loc).Format(dateHour)}
		if !r.SourcesExact {
			row = append(row, num(s.Overcount))
		}
		t.add(append(row, num(s.Refused))...)
	}
	t.write(bw)

	t = table{title: fmt.Sprintf("First-seen sources (%d)", r.NewSourcesTotal), right: 4,
		head: []string{"SOURCE", "NAME", "FIRST SERVICE", "FIRST SEEN", "ATTEMPTS", "GRANTED", "REFUSED"}}
	for _, s := range r.NewSources {
		t.add(cell(s.Source, wSource), cell(s.Name, wName), cell(s.Service, wService), s.First.In(loc).Format(dateHour), num(s.Attempts), num(s.Granted), num(s.Refused))
	}
	if more := r.NewSourcesTotal - len(r.NewSources); more > 0 {
		t.note = fmt.Sprintf("%d more not shown", more)
	}
	if r.NewSourceEventsUntracked > 0 {
		t.note = join(t.note, fmt.Sprintf("%d %s from further new sources not tracked", r.NewSourceEventsUntracked, plural(r.NewSourceEventsUntracked, "event", "events")))
	}
	t.write(bw)

	t = table{title: "Rules that decided most often", right: 1, head: []string{"RULE", "DECISIONS", "GRANTED", "REFUSED"}}
	for _, s := range r.Rules {
		t.add(cell(s.Rule, wRule), num(s.Attempts), num(s.Granted), num(s.Refused))
	}
	if o := r.OtherRules; o != nil {
		t.add("(other rules)", num(o.Attempts), num(o.Granted), num(o.Refused))
	}
	if r.NoRule > 0 {
		t.note = fmt.Sprintf("%d %s named no rule", r.NoRule, plural(r.NoRule, "event", "events"))
	}
	t.write(bw)

	bars, per := group(r.Timeline, maxTextBars)
	title := "Timeline (per hour)"
	if per > 1 {
		title = fmt.Sprintf("Timeline (per %d hours)", per)
	}
	t = table{title: title, right: 2, head: []string{"FROM", "GRANTED(=) REFUSED(#)", "GRANTED", "REFUSED"}}
	var peak int64
	for _, h := range bars {
		peak = max(peak, h.Granted+h.Refused)
	}
	for _, h := range bars {
		t.add(h.Start.In(loc).Format(dateHour), bar(h, peak), num(h.Granted), num(h.Refused))
	}
	t.write(bw)
	return bw.Flush()
}

// maxTextBars is the most timeline rows WriteText writes: a week of hours.
const maxTextBars = 7 * 24

// group merges the timeline's hours by the smallest number that leaves at
// most n bars, and returns the bars and the hours per bar.
func group(tl []Hour, n int) ([]Hour, int) {
	per := (len(tl) + n - 1) / n
	for _, p := range []int{1, 2, 3, 4, 6, 12, 24} {
		if p >= per {
			per = p
			break
		}
	}
	if per > 24 {
		per = (per + 23) / 24 * 24
	}
	if per <= 1 {
		return tl, 1
	}
	out := make([]Hour, 0, (len(tl)+per-1)/per)
	for i := 0; i < len(tl); i += per {
		h := Hour{Start: tl[i].Start}
		for _, x := range tl[i:min(i+per, len(tl))] {
			h.Attempts += x.Attempts
			h.Granted += x.Granted
			h.Refused += x.Refused
		}
		out = append(out, h)
	}
	return out, per
}

// bar draws h's grants as '=' and refusals as '#' on a scale where peak
// fills barWidth columns, padded to barWidth. A non-zero count gets at
// least one column.
func bar(h Hour, peak int64) string {
	g, f := scale(h.Granted, peak, barWidth), scale(h.Refused, peak, barWidth)
	for g+f > barWidth {
		if g > f {
			g--
		} else {
			f--
		}
	}
	return strings.Repeat("=", g) + strings.Repeat("#", f) + strings.Repeat(" ", barWidth-g-f)
}

func scale(v, peak int64, w int) int {
	if v <= 0 || peak <= 0 {
		return 0
	}
	n := int((v*int64(w) + peak/2) / peak)
	return max(n, 1)
}

func num(n int64) string { return strconv.FormatInt(n, 10) }

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// zone names the report's time zone: the Location's name, or for
// time.Local the abbreviation in force at the window's start.
func (r *Report) zone() string {
	if n := r.loc().String(); n != "Local" {
		return n
	}
	return r.From.In(r.loc()).Format("MST")
}

func (r *Report) loc() *time.Location {
	if r.Location == nil {
		return time.UTC
	}
	return r.Location
}

// table is a text table; columns from index right on are right-aligned.
// Cells are escaped already.
type table struct {
	title string
	head  []string
	right int
	rows  [][]string
	note  string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w *bufio.Writer) {
	w.WriteString("\n")
	w.WriteString(t.title)
	w.WriteString("\n")
	if len(t.rows) == 0 {
		w.WriteString("  (none)\n")
		return
	}
	width := make([]int, len(t.head))
	for _, row := range append([][]string{t.head}, t.rows...) {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, row := range append([][]string{t.head}, t.rows...) {
		w.WriteString("  ")
		for i, c := range row {
			if i > 0 {
				w.WriteString("  ")
			}
			gap := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i >= t.right {
				w.WriteString(gap)
				w.WriteString(c)
			} else {
				w.WriteString(c)
				if i < len(row)-1 {
					w.WriteString(gap)
				}
			}
		}
		w.WriteString("\n")
	}
	if t.note != "" {
		w.WriteString("  (")
		w.WriteString(t.note)
		w.WriteString(")\n")
	}
}
