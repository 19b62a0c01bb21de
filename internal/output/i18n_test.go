package output

import (
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
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
	englishProse = regexp.MustCompile(`(?i)\b(the|and|is|are|to|of|with|not|for|from|this|that|your|must|should)\b`)
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
	for _, p := range translationProblems(cat) {
		t.Error(p)
	}
}

func translationProblems(cat *catalog.Catalog) []string {
	var problems []string
	errorf := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	both := func(where string, tx catalog.Text) {
		if strings.TrimSpace(tx.EN) == "" || strings.TrimSpace(tx.ZH) == "" {
			errorf("%s: missing a translation (en %q, zh %q)", where, tx.EN, tx.ZH)
			return
		}
		// Identical text is fine for codes, commands and proper names
		// ("{path}: {mode}", "openclaw config set x false"), not for
		// English prose, which gives itself away by its function words.
		if tx.ZH == tx.EN && englishProse.MatchString(placeholder.ReplaceAllString(tx.EN, "")) {
			errorf("%s: zh text is the en text (%q)", where, tx.EN)
		}
	}
	both("framework title", cat.Framework.Title)
	if len(cat.Controls) != 12 {
		errorf("%d controls, want 12", len(cat.Controls))
	}
	for _, c := range cat.Controls {
		both(c.ID+" title", c.Title)
		both(c.ID+" description", c.Description)
		if c.ManualGuidance != nil {
			both(c.ID+" manual_guidance", *c.ManualGuidance)
		}
		if want := officialHeadings[c.ID]; !strings.Contains(c.Title.ZH, want) {
			errorf("%s: zh title %q does not use the official wording %q", c.ID, c.Title.ZH, want)
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
	sort.Strings(problems)
	return problems
}

// TestTranslationCheckCatches proves the translation test can fail: a
// catalog the loader accepts (both languages present) but whose Chinese is
// English prose, or whose control title drops the official wording.
func TestTranslationCheckCatches(t *testing.T) {
	fsys := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS("testdata/catalog"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(os.DirFS("testdata/catalog"), p)
		fsys[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	checks := string(fsys["checks/test.yaml"].Data)
	checks = strings.Replace(checks, "zh: 创建专用的非特权服务账号运行网关。", "zh: Run the gateway under a dedicated unprivileged service account.", 1)
	fsys["checks/test.yaml"].Data = []byte(checks)
	fw := string(fsys["framework.yaml"].Data)
	fw = strings.Replace(fw, "title: {zh: 使用官方最新版本,", "title: {zh: 使用最新版,", 1)
	fsys["framework.yaml"].Data = []byte(fw)
	cat, err := catalog.Load(fsys)
	if err != nil {
		t.Fatalf("modified catalog should still load: %v", err)
	}
	got := strings.Join(translationProblems(cat), "\n")
	for _, want := range []string{
		`CG-PRIV-001 remediation: zh text is the en text ("Run the gateway under a dedicated unprivileged service account.")`,
		`DO-1: zh title "使用最新版" does not use the official wording "使用官方最新版本"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("translation check missed:\n  %s\ngot:\n%s", want, got)
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
