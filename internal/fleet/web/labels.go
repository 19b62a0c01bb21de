package web

import (
	"net/http"
	"strings"

	"github.com/clawgov/clawgov/internal/catalog"
)

// labels holds every fixed string of the dashboard in both languages, in the
// style of internal/output's catalogue: control titles come from the
// catalog, not from here. TestLabelsComplete fails when a key is missing
// from one language; a template asking for an unknown key renders a loud
// "[[missing:key]]" marker that the page tests look for.
var labels = map[catalog.Lang]map[string]string{
	catalog.EN: {
		"app":            "clawgov fleet",
		"nav_overview":   "Overview",
		"nav_hosts":      "Hosts",
		"nav_findings":   "Findings",
		"nav_unmanaged":  "Unmanaged gateways",
		"nav_logout":     "Sign out",
		"login":          "Sign in",
		"login_title":    "Sign in to the clawgov fleet dashboard",
		"username":       "User name",
		"password":       "Password",
		"login_failed":   "Wrong user name or password.",
		"setup_title":    "Create the first administrator",
		"setup_help":     "Enter the one-time bootstrap secret that clawgov server printed on its first start.",
		"setup_secret":   "Bootstrap secret",
		"setup_btn":      "Create administrator",
		"setup_failed":   "The bootstrap secret is wrong or was already used, or the password is shorter than 12 characters.",
		"login_limited":  "Too many failed sign-ins. Try again later.",
		"signed_in_as":   "Signed in as",
		"role_admin":     "admin",
		"role_viewer":    "viewer",
		"hosts":          "Hosts",
		"stale":          "Stale",
		"fresh":          "Fresh",
		"reporting":      "Reporting",
		"as_of":          "Data as of",
		"controls_grid":  "The 12 controls across the fleet",
		"control":        "Control",
		"trend":          "Trend (control results per day)",
		"trend_none":     "No history yet.",
		"hostname":       "Host name",
		"address":        "Address",
		"last_seen":      "Last seen",
		"last_report":    "Last report",
		"never":          "never",
		"profile":        "Profile",
		"policy_bundle":  "Organisation policy",
		"version":        "OpenClaw version",
		"tags":           "Tags",
		"status":         "Status",
		"any":            "any",
		"yes":            "yes",
		"no":             "no",
		"search":         "Search",
		"filter":         "Filter",
		"search_hint":    "host name, address or ID",
		"shown":          "shown of",
		"prev":           "Previous",
		"next":           "Next",
		"no_hosts":       "No host matches.",
		"clone":          "cloned key",
		"clone_help":     "This host key was seen from two machines. Re-key the clone (clawgov agent enroll on it).",
		"host":           "Host",
		"latest_report":  "Latest report",
		"no_report":      "This host has not sent a full report yet: every control is unknown.",
		"stale_help":     "This host stopped reporting: its controls show unknown, not its last result.",
		"open_report":    "Open the report on its own page",
		"history":        "History of each control",
		"history_none":   "No history recorded.",
		"reports":        "Reports",
		"received":       "Received",
		"created":        "Created (agent clock)",
		"compare":        "Compare two reports",
		"compare_btn":    "Compare",
		"from":           "From",
		"to":             "To",
		"diff":           "What changed",
		"diff_none":      "Nothing changed between these two reports.",
		"changed_ctl":    "Controls that changed",
		"new_findings":   "New findings",
		"gone_findings":  "Resolved findings",
		"was":            "was",
		"now":            "now",
		"tags_edit":      "Set tags",
		"save":           "Save",
		"findings":       "Findings across the fleet",
		"check":          "Check",
		"title":          "Title",
		"severity":       "Severity",
		"message":        "Message",
		"controls":       "Controls",
		"no_findings":    "No finding matches.",
		"every_host":     "hosts",
		"unmanaged":      "Unmanaged gateways (found on the network, no enrolled agent)",
		"unmanaged_none": "No unmanaged gateway found.",
		"port":           "Port",
		"auth":           "Auth",
		"found_by":       "Found by",
		"first_seen":     "First seen",
		"export":         "Export",
		"bundle":         "Evidence bundle (zip, signed manifest)",
		"bundle_btn":     "Download evidence bundle",
		"select":         "Select",
		"forbidden":      "You may not do that: your role is viewer.",
		"not_found":      "Not found.",
		"bad_request":    "Bad request.",
		"server_error":   "Something went wrong on the server; it has been logged.",
		"csrf":           "The form expired. Reload the page and try again.",
		"language":       "中文",
		"st_pass":        "pass",
		"st_warn":        "warn",
		"st_fail":        "fail",
		"st_manual":      "manual",
		"st_error":       "error",
		"st_unknown":     "unknown",
		"st_skip":        "skip",
		"st_waived":      "waived",
		"kind_do":        "Do",
		"kind_dont":      "Don't",
	},
	catalog.ZH: {
		"app":            "clawgov 集中管理",
		"nav_overview":   "概览",
		"nav_hosts":      "主机",
		"nav_findings":   "发现",
		"nav_unmanaged":  "未纳管网关",
		"nav_logout":     "退出登录",
		"login":          "登录",
		"login_title":    "登录 clawgov 集中管理控制台",
		"username":       "用户名",
		"password":       "密码",
		"login_failed":   "用户名或密码错误。",
		"setup_title":    "创建首个管理员",
		"setup_help":     "请输入 clawgov server 首次启动时打印的一次性引导密钥。",
		"setup_secret":   "引导密钥",
		"setup_btn":      "创建管理员",
		"setup_failed":   "引导密钥错误或已被使用，或密码少于 12 个字符。",
		"login_limited":  "登录失败次数过多，请稍后再试。",
		"signed_in_as":   "当前用户",
		"role_admin":     "管理员",
		"role_viewer":    "只读用户",
		"hosts":          "主机",
		"stale":          "已失联",
		"fresh":          "正常上报",
		"reporting":      "上报中",
		"as_of":          "数据时间",
		"controls_grid":  "全部主机的 12 项控制",
		"control":        "控制项",
		"trend":          "趋势（每日控制项结果）",
		"trend_none":     "暂无历史数据。",
		"hostname":       "主机名",
		"address":        "地址",
		"last_seen":      "最近联系",
		"last_report":    "最近报告",
		"never":          "从未",
		"profile":        "配置基线",
		"policy_bundle":  "组织策略",
		"version":        "OpenClaw 版本",
		"tags":           "标签",
		"status":         "状态",
		"any":            "全部",
		"yes":            "是",
		"no":             "否",
		"search":         "搜索",
		"filter":         "筛选",
		"search_hint":    "主机名、地址或 ID",
		"shown":          "条，共",
		"prev":           "上一页",
		"next":           "下一页",
		"no_hosts":       "没有匹配的主机。",
		"clone":          "密钥被克隆",
		"clone_help":     "同一主机密钥出现在两台机器上。请为克隆机重新生成密钥（在其上执行 clawgov agent enroll）。",
		"host":           "主机",
		"latest_report":  "最新报告",
		"no_report":      "该主机尚未上报完整报告：所有控制项均为未知。",
		"stale_help":     "该主机已停止上报：控制项显示为未知，而不是上次的结果。",
		"open_report":    "在单独页面打开报告",
		"history":        "各控制项历史",
		"history_none":   "暂无历史记录。",
		"reports":        "报告",
		"received":       "接收时间",
		"created":        "生成时间（主机时钟）",
		"compare":        "比较两份报告",
		"compare_btn":    "比较",
		"from":           "从",
		"to":             "到",
		"diff":           "变化",
		"diff_none":      "两份报告之间没有变化。",
		"changed_ctl":    "状态变化的控制项",
		"new_findings":   "新增发现",
		"gone_findings":  "已解决的发现",
		"was":            "原为",
		"now":            "现为",
		"tags_edit":      "设置标签",
		"save":           "保存",
		"findings":       "全部主机的发现",
		"check":          "检查项",
		"title":          "标题",
		"severity":       "严重程度",
		"message":        "说明",
		"controls":       "控制项",
		"no_findings":    "没有匹配的发现。",
		"every_host":     "台主机",
		"unmanaged":      "未纳管网关（网络中发现、未注册代理）",
		"unmanaged_none": "未发现未纳管网关。",
		"port":           "端口",
		"auth":           "认证",
		"found_by":       "发现者",
		"first_seen":     "首次发现",
		"export":         "导出",
		"bundle":         "证据包（zip，含签名清单）",
		"bundle_btn":     "下载证据包",
		"select":         "选择",
		"forbidden":      "无权执行此操作：您的角色为只读用户。",
		"not_found":      "未找到。",
		"bad_request":    "请求无效。",
		"server_error":   "服务器出错，已记录日志。",
		"csrf":           "表单已过期，请刷新页面后重试。",
		"language":       "English",
		"st_pass":        "通过",
		"st_warn":        "警告",
		"st_fail":        "不通过",
		"st_manual":      "人工核查",
		"st_error":       "错误",
		"st_unknown":     "未知",
		"st_skip":        "跳过",
		"st_waived":      "已豁免",
		"kind_do":        "要",
		"kind_dont":      "不要",
	},
}

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

// langCookie remembers a ?lang= choice.
const langCookie = "clawgov_lang"

// pickLang chooses the page language: ?lang= first, then the cookie, then
// the first zh or en in Accept-Language, then English.
func pickLang(r *http.Request) (catalog.Lang, bool) {
	if v := r.URL.Query().Get("lang"); v != "" {
		if l, err := catalog.ParseLang(v); err == nil {
			return l, true
		}
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if l, err := catalog.ParseLang(c.Value); err == nil {
			return l, false
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if l, err := catalog.ParseLang(tag); err == nil {
			return l, false
		}
	}
	return catalog.EN, false
}
