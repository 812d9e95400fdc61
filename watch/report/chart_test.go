package report

import (
	"slices"
	"testing"
	"time"
)

func TestGroup(t *testing.T) {
	for _, tc := range []struct {
		name       string
		hours, max int
		per, bars  int
	}{
		{"a day fits", 24, 168, 1, 24},
		{"a week fits exactly", 168, 168, 1, 168},
		{"a week and an hour: pairs", 169, 168, 2, 85},
		{"a month: six-hour bars", 30 * 24, 168, 6, 120},
		{"a quarter: days", 90 * 24, 168, 24, 90},
		{"a year: whole days per bar", 366 * 24, 168, 72, 122},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl := make([]Hour, tc.hours)
			var sum int64
			for i := range tl {
				tl[i] = Hour{Start: time.Unix(int64(i)*3600, 0), Counts: Counts{Attempts: int64(i % 7), Granted: int64(i % 3), Refused: int64(i % 5)}}
				sum += int64(i % 5)
			}
			bars, per := group(tl, tc.max)
			if per != tc.per || len(bars) != tc.bars {
				t.Fatalf("group: %d bars of %d hours, want %d of %d", len(bars), per, tc.bars, tc.per)
			}
			var got int64
			for i, b := range bars {
				got += b.Refused
				if !b.Start.Equal(tl[i*per].Start) {
					t.Fatalf("bar %d starts %v, want %v", i, b.Start, tl[i*per].Start)
				}
			}
			if got != sum {
				t.Errorf("bars hold %d refusals, the hours %d", got, sum)
			}
		})
	}
}

func TestNiceCeil(t *testing.T) {
	for _, tc := range []struct{ in, want int64 }{
		{1, 1}, {2, 2}, {3, 3}, {7, 8}, {9, 10}, {11, 12}, {13, 15}, {41, 50}, {120, 120}, {121, 150}, {999, 1000}, {1001, 1200},
	} {
		if got := niceCeil(tc.in); got != tc.want {
			t.Errorf("niceCeil(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestBar(t *testing.T) {
	for _, tc := range []struct {
		name             string
		granted, refused int64
		peak             int64
		want             string
	}{
		{"empty hour", 0, 0, 10, ""},
		{"peak fills the width", 0, 10, 10, "########################################"},
		{"one event still shows", 1, 0, 1000, "="},
		{"split", 5, 5, 10, "====================####################"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := bar(Hour{Counts: Counts{Granted: tc.granted, Refused: tc.refused}}, tc.peak)
			if len(got) != barWidth {
				t.Fatalf("bar is %d wide, want %d", len(got), barWidth)
			}
			if trimmed := trimRight(got); trimmed != tc.want {
				t.Errorf("bar %q, want %q", trimmed, tc.want)
			}
		})
	}
}

func trimRight(s string) string {
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// TestTimeLabels checks that the timeline's labels fall on round local
// times and that midnights show the date.
func TestTimeLabels(t *testing.T) {
	from := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	mk := func(n, per int) []Hour {
		h := make([]Hour, n)
		for i := range h {
			h[i].Start = from.Add(time.Duration(i*per) * time.Hour)
		}
		return h
	}
	texts := func(ls []svgLabel) []string {
		var s []string
		for _, l := range ls {
			s = append(s, l.Text)
		}
		return s
	}
	for _, tc := range []struct {
		name string
		bars []Hour
		per  int
		loc  *time.Location
		want []string
	}{
		{"a day, every 3 hours", mk(24, 1), 1, time.UTC, []string{"May 1", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00"}},
		{"a week of 1-hour bars: daily", mk(168, 1), 1, time.UTC, []string{"May 1", "May 2", "May 3", "May 4", "May 5", "May 6", "May 7"}},
		{"local midnight, not UTC's", mk(24, 1), 1, time.FixedZone("X", 2*3600), []string{"03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00", "May 2"}},
		{"half-hour zone: every n-th bar", mk(24, 1), 1, time.FixedZone("Y", 5*3600+1800), []string{"05:30", "07:30", "09:30", "11:30", "13:30", "15:30", "17:30", "19:30", "21:30", "23:30", "01:30", "03:30"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := texts(timeLabels(tc.bars, tc.per, tc.loc, 10))
			if len(got) > 12 || len(got) == 0 || !slices.Equal(got, tc.want) {
				t.Errorf("labels %q, want %q", got, tc.want)
			}
		})
	}
}
