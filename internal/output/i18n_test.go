package output

import (
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/finding"
)

// TestLabelsComplete fails on any writer label that exists in one language
// only or is blank.
func TestLabelsComplete(t *testing.T) {
	langs := []catalog.Lang{catalog.EN, catalog.ZH}
	if len(labels) != len(langs) {
		t.Errorf("labels has %d languages, want %d", len(labels), len(langs))
	}
	keys := map[string]bool{}
	for _, l := range langs {
		for k := range labels[l] {
			keys[k] = true
		}
	}
	var missing []string
	for k := range keys {
		for _, l := range langs {
			if strings.TrimSpace(labels[l][k]) == "" {
				missing = append(missing, string(l)+":"+k)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("labels missing a translation: %s", strings.Join(missing, ", "))
	}
	// Every status and severity a writer can print has a label.
	for _, l := range langs {
		L := labelsFor(l)
		for _, st := range []finding.Status{finding.Pass, finding.Warn, finding.Fail, finding.Manual, finding.Error, finding.Skip} {
			if v := L.status(st); strings.HasPrefix(v, "[[missing") {
				t.Errorf("%s: no label for status %s", l, st)
			}
		}
		for _, s := range finding.Severities() {
			if v := L.severity(s); strings.HasPrefix(v, "[[missing") {
				t.Errorf("%s: no label for severity %s", l, s)
			}
		}
	}
	// Chinese labels are Chinese: a copy-pasted English string is a missing
	// translation too. Proper names and codes are the only exceptions.
	same := map[string]bool{"openclaw": true}
	for k, en := range labels[catalog.EN] {
		zh := labels[catalog.ZH][k]
		if !same[k] && zh == en {
			t.Errorf("label %s: zh equals en (%q)", k, en)
		}
		if !same[k] && !hasHan(zh) {
			t.Errorf("label %s: zh %q has no Chinese characters", k, zh)
		}
	}
}

func TestLabelerMissingKeyIsLoud(t *testing.T) {
	if got := labelsFor(catalog.EN).get("no-such-label"); got != "[[missing:no-such-label]]" {
		t.Errorf("missing label renders as %q", got)
	}
	if labelsFor("fr")["summary"] != labels[catalog.EN]["summary"] {
		t.Error("unsupported language does not fall back to English")
	}
}

var (
	placeholder  = regexp.MustCompile(`\{[a-z_][a-z0-9_]*\}`)
	englishWords = regexp.MustCompile(`\b[A-Za-z]{3,}\b`)
)

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// officialHeadings are the framework's official Chinese wording (the short
// headings of the NVDB notice, reference/framework.md). Catalog control
// titles must use it.
var officialHeadings = map[string]string{
	"DO-1": "使用官方最新版本", "DONT-1": "不要使用第三方镜像版本或历史版本",
	"DO-2": "严格控制互联网暴露面", "DONT-2": "暴露到互联网",
	"DO-3": "坚持最小权限原则", "DONT-3": "不要在部署时使用管理员权限账号",
	"DO-4": "谨慎使用技能市场", "DONT-4": `不要使用要求"下载ZIP""执行shell脚本"或"输入密码"的技能包`,
	"DO-5": "防范社会工程学攻击和浏览器劫持", "DONT-5": "不要浏览来历不明的网站",
	"DO-6": "建立长效防护机制", "DONT-6": "不要禁用详细日志审计功能",
}

// checkCatalogTranslations asserts every control and check text exists in
// both languages, Chinese text is Chinese, and control titles carry the
// official wording. The loader validates presence already; this also
// catches "translated" text that is the English copied across.
func checkCatalogTranslations(t *testing.T, cat *catalog.Catalog) {
	t.Helper()
	both := func(where string, tx catalog.Text) {
		if strings.TrimSpace(tx.EN) == "" || strings.TrimSpace(tx.ZH) == "" {
			t.Errorf("%s: missing a translation (en %q, zh %q)", where, tx.EN, tx.ZH)
			return
		}
		// Identical text is fine for codes and proper names ("{path}:
		// {mode}", "OpenClaw {version}"), not for English prose.
		if tx.ZH == tx.EN && len(englishWords.FindAllString(placeholder.ReplaceAllString(tx.EN, ""), -1)) >= 2 {
			t.Errorf("%s: zh text is the en text (%q)", where, tx.EN)
		}
	}
	both("framework title", cat.Framework.Title)
	if len(cat.Controls) != 12 {
		t.Errorf("%d controls, want 12", len(cat.Controls))
	}
	for _, c := range cat.Controls {
		both(c.ID+" title", c.Title)
		both(c.ID+" description", c.Description)
		if c.ManualGuidance != nil {
			both(c.ID+" manual_guidance", *c.ManualGuidance)
		}
		if want := officialHeadings[c.ID]; !strings.Contains(c.Title.ZH, want) {
			t.Errorf("%s: zh title %q does not use the official wording %q", c.ID, c.Title.ZH, want)
		}
	}
	for _, id := range cat.CheckIDs() {
		ch, _ := cat.Check(id)
		both(id+" title", ch.Title)
		both(id+" description", ch.Description)
		both(id+" remediation", ch.Remediation)
		for key, m := range ch.Messages {
			both(id+" message "+key, m)
		}
	}
}

func TestTestCatalogTranslations(t *testing.T) {
	checkCatalogTranslations(t, testCatalog(t))
}

// TestEmbeddedCatalogTranslations runs the same assertions over the live,
// embedded catalog, so a check added without a Chinese or English text
// fails here as well as in the catalog's own tests.
func TestEmbeddedCatalogTranslations(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatalf("embedded catalog: %v", err)
	}
	checkCatalogTranslations(t, cat)
}
