package probe

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable prints the records as an aligned table for people. With all
// false only gateways are listed and other open ports are counted.
func WriteTable(w io.Writer, results []Result, all bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENDPOINT\tPRODUCT\tVERSION\tAUTH\tTLS\tEXTRAS\tADVISORIES")
	others, shown := 0, 0
	for i := range results {
		r := &results[i]
		if !r.IsGateway() && !all {
			if r.Open {
				others++
			}
			continue
		}
		shown++
		ep := r.Endpoint()
		if r.Host != "" {
			ep += " (" + r.Host + ")"
		}
		tlsCell := "no"
		if r.TLS {
			tlsCell = "yes"
		}
		extras := strings.Join(r.Extras(), ",")
		if !r.IsGateway() && r.Error != "" {
			extras = r.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", oneLine(ep), r.Product, dash(r.Version), dash(r.Auth), tlsCell, dash(oneLine(extras)), dash(strings.Join(r.Advisories, ",")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if shown == 0 {
		fmt.Fprintln(w, "(no OpenClaw gateway found)")
	}
	if others > 0 {
		fmt.Fprintf(w, "%d other open port(s) answered but are not OpenClaw (use --all or --format csv to list them)\n", others)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)), " ")
}

// WriteMDNSTable prints the mDNS adverts seen.
func WriteMDNSTable(w io.Writer, ads []MDNSAdvert) error {
	if len(ads) == 0 {
		_, err := fmt.Fprintln(w, "(no _openclaw-gw._tcp advert answered the mDNS query)")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MDNS FROM\tINSTANCE\tHOST:PORT\tADDRS\tLEAKS")
	for i := range ads {
		a := &ads[i]
		fmt.Fprintf(tw, "%s\t%s\t%s:%d\t%s\t%s\n", oneLine(a.From), oneLine(a.Instance), oneLine(a.Host), a.Port, dash(strings.Join(a.Addrs, ",")), dash(strings.Join(a.Leaks(), ",")))
	}
	return tw.Flush()
}
