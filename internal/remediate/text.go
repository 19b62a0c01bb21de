package remediate

import (
	"fmt"

	"github.com/clawgov/clawgov/internal/catalog"
)

// texts are the plan's words in both languages. Arguments are positional
// (%[1]s ...) and the same in both, which TestTexts checks.
var texts = map[string][2]string{ // key: {zh, en}
	"bind.summary":       {"将网关监听地址改为仅本机回环（loopback）", "Bind the gateway to loopback only"},
	"bind.risk":          {"局域网或公网上的客户端将无法再直接连接网关；远程访问请改用 SSH 隧道或 Tailscale Serve。", "Clients on the LAN or internet can no longer connect directly; use an SSH tunnel or Tailscale Serve for remote access."},
	"auth.summary":       {"启用令牌认证，使用新生成的强令牌（保存在配置文件之外）", "Enable token authentication with a freshly generated strong token stored outside the config"},
	"auth.summary.ref":   {"启用令牌认证，引用已在环境中设置的 %[1]s", "Enable token authentication referencing %[1]s already set in the environment"},
	"auth.risk":          {"使用旧令牌或未使用令牌的客户端（其他机器上的 CLI、Control UI、已配对的应用、脚本）必须更新为新令牌；网关需重启。", "Clients using the old token or no token (CLI on other machines, Control UI, paired apps, scripts) must be updated with the new token; the gateway must be restarted."},
	"auth.where":         {"新令牌保存在 %[1]s（权限 600）的 %[2]s 中。本机的 openclaw 命令会自动读取；其他客户端请从该文件复制该值（例如 grep %[2]s %[1]s），Control UI 登录时粘贴该令牌。", "The new token is in %[1]s (mode 600) as %[2]s. The local openclaw command reads it automatically; other clients copy the value from that file (e.g. grep %[2]s %[1]s) and the Control UI asks for it at login."},
	"auth.where.ext":     {"令牌存放在 %[1]s，OpenClaw 不会自动读取该文件：请让网关服务加载它（例如 systemd 的 EnvironmentFile=%[1]s）。", "The token is stored in %[1]s, which OpenClaw does not read by itself: make the gateway service load it (e.g. systemd EnvironmentFile=%[1]s)."},
	"origins.summary":    {"从 Control UI 允许来源中删除通配符 \"*\"", "Remove the wildcard \"*\" from the Control UI allowed origins"},
	"origins.risk":       {"未列出的来源上的浏览器将无法打开 Control UI；如需要，请添加确切的 https:// 来源。", "Browsers on origins that are not listed can no longer open the Control UI; add exact https:// origins if needed."},
	"exec.summary":       {"将主机命令执行改为需要审批（tools.exec.mode: ask）", "Require approval for host command execution (tools.exec.mode: ask)"},
	"exec.risk":          {"代理在主机上执行命令前需要人工批准，无人值守的自动化任务可能会停下等待审批。", "The agent waits for a person to approve host commands; unattended automations may stall waiting for approval."},
	"exec.legacy":        {"配置使用旧的 tools.exec.security/ask 写法，不能与 mode 混用：请先运行 openclaw doctor --fix 迁移。", "The config uses the legacy tools.exec.security/ask pair, which cannot be mixed with mode: run openclaw doctor --fix to migrate first."},
	"sandbox.summary":    {"为非主会话开启 Docker 沙箱（agents.defaults.sandbox.mode: non-main）", "Turn the Docker sandbox on for non-main sessions (agents.defaults.sandbox.mode: non-main)"},
	"sandbox.risk":       {"群组、频道和子代理会话中的工具将在 Docker 容器内运行；首次使用时会拉取沙箱镜像，需要访问主机的工具在这些会话中将不可用。", "Tools in group, channel and sub-agent sessions run in Docker containers; the sandbox image is pulled on first use and tools that need the host stop working there."},
	"sandbox.nodocker":   {"本机没有 Docker（未找到 /var/run/docker.sock 或 docker 命令），开启沙箱会导致工具无法运行。", "Docker is not available here (no /var/run/docker.sock or docker command), so a sandbox would break every tool."},
	"terminal.summary":   {"关闭浏览器终端（gateway.terminal.enabled: false）", "Turn the browser terminal off (gateway.terminal.enabled: false)"},
	"terminal.risk":      {"管理员无法再通过 Control UI 打开主机 shell。", "Admins can no longer open a host shell from the Control UI."},
	"pairing.summary":    {"关闭本机节点自动配对（gateway.nodes.pairing.autoApproveLocal: false）", "Stop auto-approving same-host node pairing (gateway.nodes.pairing.autoApproveLocal: false)"},
	"pairing.risk":       {"本机的新设备和权限升级需要人工批准（openclaw devices approve）。", "New same-host devices and scope upgrades need a person to approve them (openclaw devices approve)."},
	"loglevel.summary":   {"恢复日志记录（logging.level: info）", "Turn logging back on (logging.level: info)"},
	"logfile.summary":    {"将日志文件移到私有路径 %[1]s", "Move the log file to the private path %[1]s"},
	"log.risk":           {"日志将写入新位置；日志收集或轮转配置可能需要相应调整。", "Logs go to the new place; log shipping or rotation set up for the old one may need updating."},
	"loglevel.risk":      {"日志量会增加；info 级别不记录消息内容。", "More is written to the log; the info level does not log message content."},
	"logaudit.summary":   {"重新开启审计事件（logging.audit.enabled: true）", "Turn audit events back on (logging.audit.enabled: true)"},
	"logaudit.risk":      {"状态数据库将记录审计元数据（不含消息内容）。", "The state database records audit metadata again (no message content)."},
	"flag.summary":       {"关闭危险开关：%[1]s 改为 %[2]s", "Turn a dangerous switch off: %[1]s to %[2]s"},
	"flag.risk.origin":   {"依赖 Host 头推断来源的 Control UI 访问将失败；请在 allowedOrigins 中列出确切来源。", "Control UI access that relied on the Host header as origin fails; list exact origins in allowedOrigins."},
	"flag.risk.realip":   {"位于未配置 trustedProxies 的代理之后时，客户端 IP 将显示为代理地址。", "Behind a proxy that is not in trustedProxies, clients show up with the proxy's address."},
	"flag.risk.openai":   {"使用 OpenAI 兼容 HTTP 接口的程序将无法再调用网关。", "Programs calling the gateway's OpenAI-compatible HTTP API stop working."},
	"flag.risk.ssrf":     {"浏览器工具将无法访问内网地址（路由器、内部服务）。", "The browser tool can no longer open private-network addresses (routers, internal services)."},
	"egress.summary":     {"把 OpenClaw 接入出口代理：web_fetch 和网关出站流量走 proxy.proxyUrl，开启严格导航白名单（browser.ssrfPolicy）", "Wire OpenClaw into the egress proxy: web_fetch and the gateway's outbound traffic through proxy.proxyUrl, and the strict navigation allowlist (browser.ssrfPolicy)"},
	"egress.risk":        {"网关的出站请求（web_fetch、模型服务、频道、ClawHub）都经过代理，策略未列出的主机将无法访问；智能体只能导航到列出的主机名，这种模式下浏览器的 open（新标签页）操作会被拒绝，请改用 navigate。", "The gateway's outbound requests (web_fetch, model providers, channels, ClawHub) go through the proxy, so hosts its policy does not list stop working; the agent can navigate only to the listed hostnames, and the browser's open (new tab) action is refused in this mode, so use navigate."},
	"modes.summary":      {"收紧文件权限（目录 700，文件 600）", "Tighten file modes (directories 700, files 600)"},
	"owner.summary":      {"将属主改为部署用户 %[1]s", "Give the files back to the deployment user %[1]s"},
	"modes.risk":         {"只有部署用户可以读取这些文件；以其他账户运行的工具（备份、监控）可能需要调整。", "Only the deployment user can read these files; tools running as other accounts (backups, monitoring) may need adjusting."},
	"quarantine.summary": {"将恶意技能 %[1]s 移入隔离区", "Move the malicious skill %[1]s into quarantine"},
	"quarantine.risk":    {"该技能将不再加载；可用 clawgov fix --restore %[1]s 恢复。", "The skill is no longer loaded; clawgov fix --restore %[1]s puts it back."},
	"skip.notraised":     {"审计未报告此问题", "the audit did not raise this"},
	"skip.nodir":         {"技能目录不存在：%[1]s", "skill directory not found: %[1]s"},
	"skip.envother":      {"%[1]s 已由 %[2]s 设置但强度不足；请在那里更换为强令牌", "%[1]s is set by %[2]s but is weak; replace it there with a strong token"},
	"skip.notobject":     {"无法编辑：%[1]s", "cannot edit: %[1]s"},
	"restart.yes":        {"需要重启网关", "gateway restart needed"},
	"restart.no":         {"无需重启", "no restart needed"},
	"plan.empty":         {"没有需要修复的内容。", "Nothing to fix."},
	"plan.title":         {"修复计划", "Fix plan"},
	"plan.config":        {"配置", "config"},
	"plan.skipped":       {"跳过", "Skipped"},
	"plan.risk":          {"风险", "Risk"},
	"plan.resolves":      {"解决", "Resolves"},
	"plan.dryrun":        {"演练模式：未做任何更改。使用 --yes 应用。", "Dry run: nothing was changed. Use --yes to apply."},
	"applied":            {"已应用 %[1]d 项操作。备份：%[2]s（回滚：clawgov fix --rollback %[3]s）", "Applied %[1]d actions. Backup: %[2]s (undo: clawgov fix --rollback %[3]s)"},
	"quarantined":        {"已隔离 %[1]s（恢复：clawgov fix --restore %[1]s）", "Quarantined %[1]s (restore: clawgov fix --restore %[1]s)"},
	"restart.hint":       {"请重启网关使更改生效（例如 openclaw gateway restart 或 systemctl restart 对应服务）。", "Restart the gateway for the changes to take effect (e.g. openclaw gateway restart, or systemctl restart its unit)."},
}

// tr renders a text in lang.
func tr(lang catalog.Lang, key string, args ...any) string {
	t, ok := texts[key]
	if !ok {
		return key
	}
	s := t[1]
	if lang == catalog.ZH {
		s = t[0]
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}
