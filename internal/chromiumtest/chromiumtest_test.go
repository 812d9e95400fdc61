package chromiumtest_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"tcpwrap/internal/chromiumtest"
)

// A page with a red block on white: the screenshot has the window's
// size and the block where the page put it; the DOM shows what the
// page's script added.
func TestRender(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	dir := t.TempDir()
	b, err := chromiumtest.New(dir, 400, 300)
	if errors.Is(err, chromiumtest.ErrMissing) {
		t.Skip(err)
	}
	page := filepath.Join(dir, "page.html")
	const html = `<!DOCTYPE html><html><body style="margin:0;background:#fff">` +
		`<div style="position:absolute;left:100px;top:50px;width:80px;height:60px;background:#ff0000"></div>` +
		`<p id="p"></p><script>document.getElementById("p").textContent = "made by " + "script";</script>` +
		`</body></html>`
	if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}

	data := b.Screenshot(t, page, filepath.Join(dir, "shot.png"))
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if sz := img.Bounds().Size(); sz != image.Pt(400, 300) {
		t.Fatalf("screenshot is %v, want 400x300", sz)
	}
	for _, tc := range []struct {
		x, y int
		red  bool
	}{{140, 80, true}, {101, 51, true}, {178, 108, true}, {50, 200, false}, {300, 80, false}, {140, 150, false}} {
		c := color.RGBAModel.Convert(img.At(tc.x, tc.y)).(color.RGBA)
		isRed := c.R > 230 && c.G < 30 && c.B < 30
		if isRed != tc.red {
			t.Errorf("pixel (%d,%d) = %v, red %v", tc.x, tc.y, c, tc.red)
		}
	}

	dom := b.DOM(t, page)
	if !bytes.Contains(dom, []byte(`<p id="p">made by script</p>`)) {
		t.Errorf("DOM:\n%s", dom)
	}
}
