package proxy

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
)

// The block page is bilingual rather than negotiated: the person reading
// it may not be the one whose browser sent Accept-Language (an operator
// looking at an agent's screenshot), and both lines are short.
var blockPage = template.Must(template.New("block").Parse(`<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>clawgov egress: {{.Status}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;color:#222}code{background:#f3f3f3;padding:0 .3em}h1{font-size:1.4em}</style></head>
<body>
<h1>访问被拒绝 · Access blocked</h1>
<p lang="zh">出口策略不允许访问 <code>{{.Host}}</code>。智能体浏览器只能访问已核验的网站。</p>
<p lang="en">The egress policy does not allow <code>{{.Host}}</code>. The agent's browser may reach verified sites only.</p>
<table>
<tr><th align="left">规则 / Rule</th><td><code>{{.Rule}}</code></td></tr>
<tr><th align="left">原因 / Reason</th><td>{{.Reason}}</td></tr>
<tr><th align="left">请求 ID / Request ID</th><td><code>{{.ID}}</code></td></tr>
</table>
<p lang="zh">如需访问此网站，请将请求 ID 提交给管理员审核。</p>
<p lang="en">To have this site verified, send the request ID to your administrator.</p>
</body></html>
`))

func writeBlockPage(w http.ResponseWriter, status int, host, rule, reason, id string) int {
	var b bytes.Buffer
	_ = blockPage.Execute(&b, map[string]string{
		"Status": strconv.Itoa(status) + " " + http.StatusText(status),
		"Host":   host, "Rule": rule, "Reason": reason, "ID": id,
	})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.Header().Set("X-Clawgov-Request-Id", id)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	n, _ := w.Write(b.Bytes())
	return n
}
