package report

// Exported for the external tests.
const (
	ColourGranted = colourGranted
	ColourRefused = colourRefused
)

var Escape = escape

// Tracked returns how many sources, new sources, services and rules a
// is keeping.
func (a *Aggregator) Tracked() (sources, newSources, services, rules int) {
	return len(a.top.heap), len(a.newSrc), len(a.services.m), len(a.rules.m)
}
