package output

import (
	"strings"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/finding"
)

// labels holds every fixed string the human-facing writers (text, HTML,
// Markdown) print, in both report languages. Catalog text (control and
// check titles, messages, remediation) comes from the catalog, not from
// here. TestLabelsComplete fails when a key exists in one language only or
// is empty, and the golden tests fail when a writer asks for a key that
// does not exist (label returns a visible "[[missing:key]]" marker).
var labels = map[catalog.Lang]map[string]string{
	catalog.EN: {
		// Report facts.
		"report_title": "OpenClaw security compliance report",
		"target":       "Target",
		"host":         "Host",
		"rootfs":       "Root filesystem",
		"state_dir":    "State directory",
		"config_path":  "Configuration",
		"openclaw":     "OpenClaw",
		"version":      "Version",
		"package":      "Package",
		"source":       "Version source",
		"install_path": "Install path",
		"channel":      "Channel",
		"profile":      "Profile",
		"tool":         "Tool",
		"generated":    "Generated",
		"kind":         "Run",
		"language":     "Language",
		"unknown":      "unknown",
		"none":         "not found",
		"facts":        "Host and version facts",
		"notice":       "Notice",
		"data":         "clawgov data",
		"data_adv":     "advisories",
		"data_rel":     "release table",
		"data_min":     "baseline",
		"days_old":     "days old",

		// Structure.
		"overview":        "Control overview",
		"controls":        "controls",
		"checks":          "checks",
		"findings":        "findings",
		"findings_title":  "Findings",
		"summary":         "Summary",
		"errors":          "Errors",
		"errors_title":    "Checks that could not run",
		"other":           "Findings not mapped to a control",
		"no_findings":     "No findings: every evaluated check passed.",
		"framework_ref":   "Framework reference",
		"framework":       "Framework",
		"issuer":          "Issuer",
		"published":       "Published",
		"fw_source":       "Source",
		"control":         "Control",
		"check":           "Check",
		"status":          "Status",
		"severity":        "Severity",
		"title":           "Title",
		"message":         "Message",
		"count":           "Count",
		"kind_do":         "Do",
		"kind_dont":       "Don't",
		"controls_chart":  "Controls by status",
		"findings_chart":  "Open findings by severity",
		"checks_in":       "Checks",
		"affected_checks": "Affected checks",
		"controls_hdr":    "Controls",
		"md_footer":       "Automated checks; controls marked manual need a person's review.",

		// Finding details.
		"fix":        "fix",
		"fix_title":  "Remediation",
		"evidence":   "at",
		"ev_title":   "Evidence",
		"location":   "Location",
		"key":        "Key",
		"value":      "Value",
		"detail":     "Detail",
		"references": "References",
		"fp":         "Fingerprint",
		"guidance":   "manual review",
		"guidance_t": "Manual review",
		"more":       "more findings in the full report",

		// Statuses and severities.
		"status_pass":   "pass",
		"status_warn":   "warn",
		"status_fail":   "fail",
		"status_manual": "manual",
		"status_error":  "error",
		"status_skip":   "skip",
		"status_waived": "waived",

		// Policy: waivers, baseline, attestations.
		"policy":             "Policy",
		"organisation":       "Organisation",
		"policy_bundle":      "Organisation policy",
		"policy_bundle_fmt":  "v%d (signed by key %s, digest %s, %s)",
		"waived_title":       "Waived findings (accepted risks)",
		"waivers_title":      "Waivers",
		"waiver":             "waiver",
		"waiver_reason":      "reason",
		"waiver_owner":       "owner",
		"waiver_ticket":      "ticket",
		"waiver_expires":     "expires",
		"waiver_was":         "was",
		"waiver_matched":     "matched",
		"waiver_active":      "active",
		"waiver_expired":     "EXPIRED: no longer applies",
		"waiver_stale":       "STALE: matches nothing",
		"baseline_title":     "Changes since the baseline",
		"baseline_new":       "new",
		"baseline_unchanged": "unchanged",
		"baseline_resolved":  "resolved",
		"baseline_none_new":  "No new findings.",
		"attest_title":       "Manual attestations required by the profile",
		"attested_by":        "attested by",
		"attest_missing":     "not attested",
		"sev_critical":       "critical",
		"sev_high":           "high",
		"sev_medium":         "medium",
		"sev_low":            "low",
		"sev_info":           "info",
	},
	catalog.ZH: {
		"report_title": "OpenClaw安全合规报告",
		"target":       "目标",
		"host":         "主机",
		"rootfs":       "根文件系统",
		"state_dir":    "状态目录",
		"config_path":  "配置文件",
		"openclaw":     "OpenClaw",
		"version":      "版本",
		"package":      "软件包",
		"source":       "版本来源",
		"install_path": "安装路径",
		"channel":      "发布通道",
		"profile":      "配置基线",
		"tool":         "工具",
		"generated":    "生成时间",
		"kind":         "运行类型",
		"language":     "语言",
		"unknown":      "未知",
		"none":         "未发现",
		"facts":        "主机与版本信息",
		"notice":       "提示",
		"data":         "clawgov 数据",
		"data_adv":     "安全公告",
		"data_rel":     "发布表",
		"data_min":     "基线版本",
		"days_old":     "天前",

		"overview":        "控制项概览",
		"controls":        "控制项",
		"checks":          "检查",
		"findings":        "发现",
		"findings_title":  "发现详情",
		"summary":         "汇总",
		"errors":          "错误",
		"errors_title":    "无法完成的检查",
		"other":           "未映射到控制项的发现",
		"no_findings":     "无发现：所有已评估的检查均通过。",
		"framework_ref":   "框架参考",
		"framework":       "框架",
		"issuer":          "发布机构",
		"published":       "发布日期",
		"fw_source":       "原文链接",
		"control":         "控制项",
		"check":           "检查项",
		"status":          "状态",
		"severity":        "严重程度",
		"title":           "标题",
		"message":         "说明",
		"count":           "数量",
		"kind_do":         "要",
		"kind_dont":       "不要",
		"controls_chart":  "控制项状态分布",
		"findings_chart":  "待处理发现（按严重程度）",
		"checks_in":       "检查项",
		"affected_checks": "受影响的检查",
		"controls_hdr":    "控制项",
		"md_footer":       "自动化检查结果；标记为人工核查的控制项需人工确认。",

		"fix":        "修复",
		"fix_title":  "修复建议",
		"evidence":   "位置",
		"ev_title":   "证据",
		"location":   "位置",
		"key":        "配置键",
		"value":      "取值",
		"detail":     "详情",
		"references": "参考资料",
		"fp":         "指纹",
		"guidance":   "人工核查",
		"guidance_t": "人工核查",
		"more":       "条发现见完整报告",

		"status_pass":   "通过",
		"status_warn":   "警告",
		"status_fail":   "不通过",
		"status_manual": "人工核查",
		"status_error":  "错误",
		"status_skip":   "跳过",
		"status_waived": "已豁免",

		"policy":             "策略",
		"organisation":       "组织",
		"policy_bundle":      "组织策略",
		"policy_bundle_fmt":  "v%d（签名密钥 %s，摘要 %s，%s）",
		"waived_title":       "已豁免的发现（已接受的风险）",
		"waivers_title":      "豁免",
		"waiver":             "豁免",
		"waiver_reason":      "理由",
		"waiver_owner":       "负责人",
		"waiver_ticket":      "工单",
		"waiver_expires":     "到期",
		"waiver_was":         "原状态",
		"waiver_matched":     "匹配",
		"waiver_active":      "生效",
		"waiver_expired":     "已过期：不再生效",
		"waiver_stale":       "失效：未匹配任何发现",
		"baseline_title":     "与基线相比的变化",
		"baseline_new":       "新增",
		"baseline_unchanged": "未变",
		"baseline_resolved":  "已解决",
		"baseline_none_new":  "没有新增发现。",
		"attest_title":       "配置要求的人工证明事项",
		"attested_by":        "证明人",
		"attest_missing":     "尚未证明",
		"sev_critical":       "严重",
		"sev_high":           "高",
		"sev_medium":         "中",
		"sev_low":            "低",
		"sev_info":           "信息",
	},
}

// labeler looks labels up in one language, falling back to English for an
// unsupported language. A missing key yields a loud marker rather than an
// empty string so the golden tests catch it.
type labeler map[string]string

func labelsFor(l catalog.Lang) labeler {
	if m, ok := labels[l]; ok {
		return m
	}
	return labels[catalog.EN]
}

func (L labeler) get(key string) string {
	if v, ok := L[key]; ok {
		return v
	}
	return "[[missing:" + key + "]]"
}

func (L labeler) status(s finding.Status) string { return L.get("status_" + string(s)) }

func (L labeler) severity(s finding.Severity) string { return L.get("sev_" + s.String()) }

// statusOrder is the order statuses are listed in summaries: worst first.
var statusOrder = []finding.Status{finding.Fail, finding.Error, finding.Warn, finding.Manual, finding.Pass, finding.Waived, finding.Skip}

// severityOrder lists severities worst first.
var severityOrder = []finding.Severity{finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info}

// controlTitle is "DO-1 使用官方最新版本" style: the ID and the title in the
// report language.
func controlTitle(id string, t catalog.Text, l catalog.Lang) string {
	return strings.TrimSpace(id + " " + t.Get(l))
}
