package skillscan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/clawgov/clawgov/internal/finding"
)

// Scoring. Each distinct rule counts once, at the highest severity it
// matched with, so one pattern repeated 50 times does not outweigh three
// different techniques. One critical technique (a payload piped to a
// shell, a reverse shell, a known campaign address) is enough for
// malicious; two high ones from different rules are too; a single high or
// several medium ones make a skill suspicious.
var severityWeight = map[finding.Severity]int{
	finding.Info:     0,
	finding.Low:      5,
	finding.Medium:   15,
	finding.High:     50,
	finding.Critical: 100,
}

// Thresholds on the score.
const (
	MaliciousScore  = 100
	SuspiciousScore = 30
)

// quotedCap bounds what matches in a quoting context (see context.go) add
// up to: quotes alone never make a skill suspicious, however many a
// security tool carries, and they cannot tip one weak direct match over
// the threshold either. A quote that keeps high severity after its
// penalty (a critical technique quoted once) still counts in full.
const quotedCap = 10

func score(ms []Match) (int, Verdict, string) {
	best := map[string]Match{}
	for _, m := range ms {
		b, ok := best[m.RuleID]
		// A direct (unquoted) match wins over a quoted one of the same
		// rule; otherwise the higher severity.
		switch {
		case !ok:
			best[m.RuleID] = m
		case (b.Context != "") != (m.Context != ""):
			if b.Context != "" && m.Severity+2 >= b.Severity {
				best[m.RuleID] = m
			}
		case m.Severity > b.Severity:
			best[m.RuleID] = m
		}
	}
	ids := make([]string, 0, len(best))
	for id := range best {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := best[ids[i]], best[ids[j]]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		return ids[i] < ids[j]
	})
	total, quoted := 0, 0
	var parts []string
	for _, id := range ids {
		m := best[id]
		w := severityWeight[m.Severity]
		if w == 0 {
			continue
		}
		if m.Context != "" && m.Severity < finding.High {
			if quoted+w > quotedCap {
				w = max(0, quotedCap-quoted)
			}
			quoted += w
			if w == 0 {
				continue
			}
			parts = append(parts, fmt.Sprintf("%s %s +%d (quoted)", id, m.Severity, w))
		} else {
			parts = append(parts, fmt.Sprintf("%s %s +%d", id, m.Severity, w))
		}
		total += w
	}
	v := Clean
	switch {
	case total >= MaliciousScore:
		v = Malicious
	case total >= SuspiciousScore:
		v = Suspicious
	}
	expl := fmt.Sprintf("score %d (malicious >= %d, suspicious >= %d)", total, MaliciousScore, SuspiciousScore)
	if len(parts) > 0 {
		expl += ": " + strings.Join(parts, ", ")
	}
	return total, v, expl
}

type builtin struct {
	title Text
	sev   finding.Severity
	cat   string
}

// builtinRules are found by reading the input rather than by a pattern;
// they share the OC-SKL ID space with the YAML rules.
var builtinRules = map[string]builtin{
	ruleArchiveUnsafePath: {Text{ZH: "压缩包成员路径越界（zip-slip）", EN: "Archive member path escapes the root (zip-slip)"}, finding.High, "packaging"},
	ruleArchiveLink:       {Text{ZH: "压缩包内含链接文件", EN: "Link inside archive"}, finding.High, "packaging"},
	ruleSpecialFile:       {Text{ZH: "设备文件或其他特殊文件", EN: "Device or other special file"}, finding.High, "packaging"},
	ruleArchiveBomb:       {Text{ZH: "压缩炸弹或超出大小限制的压缩包", EN: "Archive bomb or archive over the size limit"}, finding.High, "packaging"},
	ruleArchiveDepth:      {Text{ZH: "嵌套过深", EN: "Nesting too deep"}, finding.Medium, "packaging"},
	ruleEncryptedArchive:  {Text{ZH: "带密码（加密）的压缩包", EN: "Password-protected (encrypted) archive"}, finding.Critical, "password-archive"},
	ruleExecutableBinary:  {Text{ZH: "可执行文件或编译产物", EN: "Executable or compiled file"}, finding.Medium, "packaging"},
	ruleOpaqueBinary:      {Text{ZH: "未知类型的二进制文件", EN: "Binary file of unknown type"}, finding.Low, "packaging"},
	ruleTooLarge:          {Text{ZH: "文件超出扫描大小限制", EN: "File larger than the scan limit"}, finding.High, "packaging"},
	ruleBadArchive:        {Text{ZH: "无法读取的压缩包", EN: "Unreadable archive"}, finding.Medium, "packaging"},
	ruleSymlink:           {Text{ZH: "技能目录内的符号链接", EN: "Symbolic link in the skill folder"}, finding.Medium, "packaging"},
	ruleInvalidUTF8:       {Text{ZH: "文本文件含无效UTF-8字节", EN: "Invalid UTF-8 in a text file"}, finding.Low, "packaging"},
	ruleInstallNoHash:     {Text{ZH: "下载型安装项未固定sha256", EN: "Download installer without a pinned sha256"}, finding.Low, "packaging"},
	ruleBadFrontMatter:    {Text{ZH: "SKILL.md 头部无法解析", EN: "SKILL.md front matter cannot be parsed"}, finding.Low, "packaging"},
	ruleIndicatorNetwork:  {Text{ZH: "已知恶意活动的网络指标（IP/域名/URL）", EN: "Known malicious campaign address (IP/domain/URL)"}, finding.High, "indicator"},
	ruleIndicatorHandle:   {Text{ZH: "已知恶意发布者账号", EN: "Known malicious publisher handle"}, finding.Critical, "indicator"},
	ruleIndicatorHash:     {Text{ZH: "已知恶意文件哈希", EN: "Known malicious file hash"}, finding.Critical, "indicator"},
}

// BuiltinRuleIDs lists the IDs of the built-in rules, sorted.
func BuiltinRuleIDs() []string {
	ids := make([]string, 0, len(builtinRules))
	for id := range builtinRules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// sortMatches orders matches strongest first, then by file and line.
func sortMatches(ms []Match) {
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		if (a.Context == "") != (b.Context == "") {
			return a.Context == ""
		}
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
}
