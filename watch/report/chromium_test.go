package report_test

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"tcpwrap/internal/chromiumtest"
	"tcpwrap/watch/report"
)

var keepScreenshot = flag.String("screenshot", "", "also copy the headless Chromium screenshot to this file")

const shotW, shotH = 1200, 1600

// browser is Debian's headless Chromium with its files in dir and a
// window of the screenshot's size; the test skips without it.
func browser(t *testing.T, dir string) *chromiumtest.Browser {
	t.Helper()
	b, err := chromiumtest.New(dir, shotW, shotH)
	if err != nil {
		t.Skipf("%v: cannot render the HTML report", err)
	}
	return b
}

// TestChromium renders the fixture's HTML report in headless Chromium:
// the screenshot must be a page of the window's size with the two bar
// colours in the charts, and the DOM must hold the tables' rows.
func TestChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	r := fixtureReport(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("screenshot", func(t *testing.T) {
		shot := filepath.Join(dir, "report.png")
		data := browser(t, dir).Screenshot(t, page, shot)
		if *keepScreenshot != "" {
			if err := os.WriteFile(*keepScreenshot, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("screenshot: %s (%d bytes)", shot, len(data))
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("screenshot does not decode: %v", err)
		}
		if sz := img.Bounds().Size(); sz != image.Pt(shotW, shotH) {
			t.Fatalf("screenshot is %v, want %dx%d", sz, shotW, shotH)
		}
		granted, refused := mustColour(t, report.ColourGranted), mustColour(t, report.ColourRefused)
		var nonWhite int
		var g, f []image.Point
		for y := range shotH {
			for x := range shotW {
				c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				if c.R < 245 || c.G < 245 || c.B < 245 {
					nonWhite++
				}
				switch {
				case near(c, granted):
					g = append(g, image.Pt(x, y))
				case near(c, refused):
					f = append(f, image.Pt(x, y))
				}
			}
		}
		t.Logf("non-white pixels %d, granted-coloured %d, refused-coloured %d", nonWhite, len(g), len(f))
		if nonWhite < shotW*shotH/50 {
			t.Errorf("only %d of %d pixels are not white: a blank page?", nonWhite, shotW*shotH)
		}
		// Each colour fills bars of both charts: thousands of pixels,
		// far more than the legend swatches and the figures in the cards.
		if len(g) < 5000 || len(f) < 5000 {
			t.Errorf("granted-coloured pixels %d, refused-coloured %d; the charts' bars should give at least 5000 each", len(g), len(f))
		}
		// The tallest bar of the timeline is the 03:00 burst of
		// refusals: a refused-coloured column at least 100 pixels high.
		if h := tallestRun(f); h < 100 {
			t.Errorf("tallest refused-coloured column is %d pixels, want at least 100 (the 03:00 burst)", h)
		}
	})

	t.Run("dom", func(t *testing.T) {
		dom := browser(t, dir).DOM(t, page)
		for _, tc := range []struct {
			id   string
			rows int
		}{
			{"services", len(r.Services)},
			{"sources", len(r.Sources)},
			{"new-sources", len(r.NewSources)},
			{"rules", len(r.Rules)},
		} {
			m := regexp.MustCompile(`(?s)<table id="` + tc.id + `">(.*?)</table>`).FindSubmatch(dom)
			if m == nil {
				t.Errorf("the DOM has no table %q", tc.id)
				continue
			}
			// A header row and one per line of the report.
			if n := bytes.Count(m[1], []byte("<tr>")); n != tc.rows+1 || tc.rows == 0 {
				t.Errorf("table %q has %d rows, want %d and a header", tc.id, n, tc.rows)
			}
		}
		for _, s := range r.Sources {
			if !bytes.Contains(dom, []byte(`<td class="mono">`+s.Source+`</td>`)) {
				t.Errorf("the DOM has no cell for source %s", s.Source)
			}
		}
		if bytes.Contains(bytes.ToLower(dom), []byte("<script")) {
			t.Error("the browser's DOM has a script element")
		}
		if !bytes.Contains(dom, []byte(`evil\x1b[31m&lt;script&gt;alert(1)&lt;/script&gt;\n\u202eexample.com`)) {
			t.Error("the hostile name is not in the DOM as escaped text")
		}
		if n := bytes.Count(dom, []byte("<rect ")); n < 24 {
			t.Errorf("the DOM has %d SVG rects, want at least 24 (the timeline's bars)", n)
		}
	})
}

func mustColour(t *testing.T, hex string) color.RGBA {
	t.Helper()
	v, err := strconv.ParseUint(hex[1:], 16, 32)
	if err != nil || len(hex) != 7 {
		t.Fatalf("colour %q", hex)
	}
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
}

// near allows for a little colour management in the screenshot.
func near(a, b color.RGBA) bool {
	d := func(x, y uint8) int { return max(int(x)-int(y), int(y)-int(x)) }
	return d(a.R, b.R) <= 6 && d(a.G, b.G) <= 6 && d(a.B, b.B) <= 6
}

// tallestRun returns the longest vertical run of points in one column.
func tallestRun(pts []image.Point) int {
	set := make(map[image.Point]bool, len(pts))
	for _, p := range pts {
		set[p] = true
	}
	best := 0
	for _, p := range pts {
		if set[p.Sub(image.Pt(0, 1))] {
			continue
		}
		n := 0
		for set[p.Add(image.Pt(0, n))] {
			n++
		}
		best = max(best, n)
	}
	return best
}
