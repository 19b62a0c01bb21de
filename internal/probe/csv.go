package probe

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// CSVHeader is the column order of WriteCSV.
var CSVHeader = []string{"address", "port", "host", "product", "version", "auth", "tls", "openai", "terminal", "extras", "advisories", "build_id", "signatures", "evidence", "error"}

// WriteCSV writes one record per result. Cells that a spreadsheet would
// treat as a formula are prefixed with a quote: banners are hostile input.
func WriteCSV(w io.Writer, results []Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for i := range results {
		r := &results[i]
		term := ""
		if r.Terminal != nil {
			term = strconv.FormatBool(*r.Terminal)
		}
		tlsCell := ""
		if r.Open {
			tlsCell = strconv.FormatBool(r.TLS)
		}
		row := []string{
			r.Address, strconv.Itoa(r.Port), r.Host, r.Product, r.Version, r.Auth, tlsCell, r.OpenAI, term,
			strings.Join(r.Extras(), ";"), strings.Join(r.Advisories, ";"), r.BuildID,
			strings.Join(r.Signatures, ";"), strings.Join(r.Evidence, " | "), r.Error,
		}
		for j := range row {
			row[j] = csvSafe(row[j])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func csvSafe(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
