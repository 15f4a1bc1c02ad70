package dashboard

import (
	"fmt"
	"html/template"
	"strings"

	qr "github.com/piglig/go-qr"
)

// qrQuiet is the blank margin around a QR code, in modules (the standard's
// minimum is 4).
const qrQuiet = 4

// qrSVG draws text as a QR code in inline SVG (black modules on white,
// one path, so it needs no script or style and passes the pages'
// Content-Security-Policy); label is its text alternative.
func qrSVG(text, label string) (template.HTML, error) {
	code, err := qr.EncodeText(text, qr.Medium)
	if err != nil {
		return "", fmt.Errorf("dashboard: QR code: %w", err)
	}
	n := code.Size()
	var d strings.Builder
	for y := range n {
		for x := range n {
			if code.Module(x, y) {
				fmt.Fprintf(&d, "M%d %dh1v1h-1z", x+qrQuiet, y+qrQuiet)
			}
		}
	}
	side := n + 2*qrQuiet
	return template.HTML(fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" class="qr" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" shape-rendering="crispEdges">`+
		`<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		side, side, side*6, side*6, template.HTMLEscapeString(label), side, side, d.String())), nil
}
