package skillscan

import (
	"bytes"
	"path"
	"regexp"
	"strings"
	"sync"
)

// The context model. A match is read in four frames, from the widest:
//
//   - file role: a detection-rule file, an indicator list, a test fixture,
//     or ordinary skill text and code;
//   - section: the nearest Markdown heading is a setup section (Setup,
//     Install, Prerequisites, ...), a detection section (Indicators,
//     Detections, Signatures, Examples of malicious ...), or neither;
//   - block: inside a fenced code block that is labelled as a sample
//     (example output, a malicious sample, a YARA rule), or inside a YARA or
//     Sigma rule body;
//   - clause: the mood of the line (an instruction to do it, a
//     prohibition, a description or a quotation) and its actor (the agent
//     or user being told to act, or an attacker, malware, or the tool
//     itself that detects it).
//
// An instruction addressed to the agent or user is never excused by words
// around it: "run this (known-good) installer" stays at full severity,
// however many threat words the line has. Everything else adds evidence of
// quotation one signal at a time, and two agreeing signals take off two
// severity levels. A real lure cannot use this to hide: a payload the user
// is meant to run must be told to them, and that line reads as an
// instruction.

type mood uint8

const (
	moodUnknown mood = iota
	moodInstruct
	moodProhibit
	moodDescribe
)

type actor uint8

const (
	actorUnknown actor = iota
	// actorVictim: the agent or the user is the one told to act.
	actorVictim
	// actorThreat: an attacker, malware or a malicious sample acts.
	actorThreat
	// actorTool: the scanner, rule or check is the subject (it detects).
	actorTool
)

type section uint8

const (
	sectionNone section = iota
	sectionSetup
	sectionDetection
)

// clause is the reading of the line around one match.
type clause struct {
	mood  mood
	actor actor
	// quoted: the match follows "e.g.", "such as", "like", "for example".
	quoted bool
	// addressed: the instruction names who must act or puts the verb
	// right before the match ("you must run", "run: curl ..."); it holds
	// even under a detection heading, where a bare command at the start
	// of a list item is usually a quoted sample.
	addressed bool
}

var (
	// lineMarkup is what precedes the first word of a line in Markdown:
	// quotes, list markers, numbering, bold, "Step 2:".
	lineMarkup = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:\s|>|[-*+•·]|\d{1,3}[.)]|\*\*|__|\[[ xX]\]|(?i:step\s+\d+\s*[:.)-]?)|[#]+)*`)
	})

	imperativeVerb = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)^(?:run|execute|paste|copy|type|enter|download|install|open|save|store|send|provide|reply|respond|click|add|set|create|put|write|ask|tell|use|go\s+to|navigate|visit|fetch|upload|call|invoke|start|launch|load|import|extract|unzip|double-click|allow|grant|disable|enable|give|share|submit|input|follow|first|then|next|finally|now|curl|wget|bash|sh|sudo|npm|npx|pip|pip3|python3?|node|iwr|irm|powershell|chmod|echo)\b|^(?:请|务必|先|然后|接着|最后|运行|执行|复制|粘贴|下载|安装|打开|输入|提供|发送|把|将)`)
	})

	// addressed marks a line that tells someone to act, wherever the
	// verb is.
	addressed = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b(?:you\s+(?:should|must|need\s+to|have\s+to|will\s+need\s+to|'ll\s+need\s+to|can\s+now)|please|make\s+sure\s+(?:to|you)|be\s+sure\s+to|the\s+(?:skill|agent|assistant|bot)\s+(?:will|must|should|needs?\s+to)|(?:agent|assistant)s?\s+(?:must|should)|always|required\s+(?:step|before)|before\s+(?:using|you\s+(?:start|use|continue)))\b|请|务必|您需要|你需要|必须`)
	})

	// verbBefore: a verb of running or typing right before the match, as
	// in "To enable protection, run: curl ...". It makes the line an
	// instruction unless an attacker or a tool is the subject.
	verbBefore = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b(?:run|execute|paste|type|enter|download|install|copy|open)(?:\s+(?:this|the\s+following|it|in\s+(?:a|your)\s+terminal))?\s*:?\s*[("'“‘` + "`" + `]*$|(?:运行|执行|粘贴|输入|下载)\s*[:：]?\s*$`)
	})

	// prohibitionRe: the line forbids what it names.
	prohibitionRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)^(?:never|do\s+not|don'?t|must\s+not|should\s+not|shouldn'?t|avoid|no\s+need\s+to|refuse\s+to|warning\s*:?\s*(?:never|do\s+not|don'?t))\b|^(?:切勿|不要|请勿|禁止|严禁|勿|别)`)
	})
	// prohibitionNear: a negation right before the match ("... and never
	// run curl | sh").
	prohibitionNear = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)(?:\b(?:never|do\s+not|don'?t|must\s+not|should\s+not|shouldn'?t|avoid|refuse\s+to)\s+(?:\w+\s+){0,3}|切勿|不要|请勿|禁止|严禁)[^\n.;!?。；！？]{0,12}$`)
	})

	threatActor = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b(?:attackers?|adversar(?:y|ies)|threat\s+actors?|malware|stealers?|infostealers?|trojans?|hackers?|the\s+(?:payload|campaign|sample|dropper|lure|backdoor|worm)|malicious\s+(?:skills?|packages?|code|actors?|scripts?|authors?|versions?)|(?:a|the)\s+compromised\s+\w+|scammers?|phishers?|bad\s+actors?)\b|攻击者|恶意软件|木马|黑客|窃密`)
	})
	threatVerb = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)^\s*(?:\w+\s+){0,2}?(?:is|are|was|were|will|would|can|could|may|might|often|typically|usually|commonly|then|also|\w+s|\w+ed)\b`)
	})

	toolSubject = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b(?:this\s+(?:tool|scanner|rule|check|skill|plugin|package|library|linter|guard)|the\s+(?:tool|scanner|rule|check|linter|guard|detector)|it|we|(?:rule|check|detector|scanner|pattern)s?)\s+(?:also\s+|will\s+|can\s+|then\s+)?(?:detects?|flags?|catches|matches|blocks?|warns?\s+(?:on|about|when)|looks?\s+for|scans?\s+for|identif(?:y|ies)|reports?|alerts?\s+on|rejects?|denies|refuses)\b|\b(?:is|are|was|were|gets?|be)\s+(?:detected|flagged|blocked|caught|reported|rejected|observed|seen|used\s+by\s+(?:attackers|malware))\b|检测|拦截|识别`)
	})

	quoteLead = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)(?:\be\.g\.|\bi\.e\.|\bsuch\s+as|\blike|\bfor\s+example|\bfor\s+instance|\bincluding|\bexamples?\s*:|例如|比如|如)\s*[:,]?\s*[("'“‘` + "`" + `]*$`)
	})

	setupHeading = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b(?:set\s*up|install(?:ation|ing)?|prerequisites?|requirements?|getting\s+started|quick\s*start|configur(?:e|ation)|first\s+run|before\s+you\s+(?:start|begin)|usage|how\s+to\s+use|instructions?|step\s+\d+|activation|onboarding)\b|安装|配置|准备|前置|使用方法|使用说明|快速开始|初始化`)
	})
	detectionHeading = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b(?:malicious|malware|backdoors?|exploits?|indicators?(?:\s+of\s+compromise)?|iocs?|detections?|detection\s+rules?|signatures?|patterns?|what\s+(?:it|we|this\s+\w+)\s+(?:detects?|catches|flags|looks\s+for|checks?)|red\s+flags|known\s+(?:bad|malicious|threats?)|threats?|threat\s+model|attacks?\s+(?:examples?|patterns?|vectors?|techniques?)|examples?\s+of\s+(?:malicious|attacks?|bad|dangerous|suspicious)|malicious\s+(?:examples?|samples?|patterns?)|(?:sample|example)\s+(?:output|report|findings?|scan)|findings|test\s+cases?|(?:detection|scan)\s+(?:categories|results?)|blocklist|deny\s*list|what\s+gets\s+(?:flagged|blocked))\b|检测|威胁|指标|特征|恶意|攻击|示例输出|规则`)
	})

	fenceLabel = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b(?:examples?|samples?|output|report|results?|malicious|detected|detects?|findings?|bad|patterns?|backdoors?|malware|exploits?|signatures?|dangerous|suspicious|red\s+flags?|threats?|vulnerable|unsafe|insecure|attacks?|payloads?|iocs?|indicators?|before|don'?t|avoid|wrong|incorrect|flagged|blocked|would\s+(?:be\s+)?(?:flag|block)|triggers?|caught)\b|❌|🚫|⚠|🔴|示例|恶意|检测|错误`)
	})
	// fenceStrong labels say the block is what a program printed or what
	// a detector matches: nobody is meant to run it.
	fenceStrong = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b(?:(?:example\s+|sample\s+|scan\s+)?output|reports?|results?|findings?|detected|malicious|iocs?|indicators?|signatures?|yara|sigma)\b|❌|🚫|🔴|恶意|检测结果|输出`)
	})
	fenceInfoSample = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)^(?:text|txt|console|log|output|plain|diff|yara|yar|sigma|snort|suricata|rules?|regex|ioc)\b`)
	})

	// yaraOrSigma recognises the body of a YARA rule ("strings:", "$a = ")
	// or a Sigma rule ("detection:", "selection:", "condition:") around a
	// match, in a rule file or embedded in a script that writes one.
	yaraBlock = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?m)^\s*(?:strings|condition|meta)\s*:\s*$|^\s*(?:private\s+|global\s+)?rule\s+\w+(?:\s*:\s*[\w\s]+)?\s*\{?\s*$`)
	})
	yaraString = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*\$\w*\s*=\s*["{/]`) })
	sigmaBlock = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?m)^\s*(?:detection|selection\w*|condition|logsource|falsepositives)\s*:`)
	})

	ruleFileExt = map[string]bool{".yar": true, ".yara": true, ".rules": true, ".sigma": true, ".rule": true}
	dataFileExt = map[string]bool{".yaml": true, ".yml": true, ".json": true, ".toml": true, ".txt": true, ".csv": true, ".tsv": true, ".jsonl": true, ".ndjson": true, ".list": true, ".conf": true}
)

// readClause reads the mood and actor of the line around a match at
// offset off inside line.
func readClause(line []byte, off int) clause {
	var c clause
	off = min(max(off, 0), len(line))
	before := line[:off]
	body := line[len(lineMarkup().Find(line)):]
	// A negation only forbids the match when it stands before it: in "do
	// not tell the user" the negation is the instruction itself.
	bodyBefore := before[min(len(before), len(line)-len(body)):]
	switch {
	case prohibitionRe().Match(bodyBefore) || prohibitionNear().Match(before):
		c.mood = moodProhibit
	case addressed().Match(before):
		c.mood, c.actor, c.addressed = moodInstruct, actorVictim, true
	case imperativeVerb().Match(body):
		c.mood, c.actor = moodInstruct, actorVictim
	}
	// The subject is read in the match's own clause: "malware scanners
	// hate it; simply paste ..." has no attacker doing the pasting.
	cs := bytes.LastIndexAny(before, ".;!?。；！？") + 1
	ce := len(line)
	if i := bytes.IndexAny(line[off:], ".;!?。；！？"); i >= 0 {
		ce = off + i
	}
	cl := line[cs:ce]
	if loc := threatActor().FindIndex(cl); loc != nil && threatVerb().Match(cl[loc[1]:]) && c.mood != moodInstruct {
		c.mood, c.actor = moodDescribe, actorThreat
	} else if toolSubject().Match(cl) && c.mood != moodInstruct {
		c.mood, c.actor = moodDescribe, actorTool
	}
	if (c.mood == moodUnknown || c.mood == moodInstruct) && verbBefore().Match(before) {
		c.mood, c.actor, c.addressed = moodInstruct, actorVictim, true
	}
	if quoteLead().Match(before) {
		c.quoted = true
		if c.mood == moodUnknown {
			c.mood = moodDescribe
		}
	}
	return c
}

// sectionOf classifies the nearest heading above a.
func sectionOf(src []byte, a int) section {
	h := heading(src, a)
	if h == nil {
		return sectionNone
	}
	// A detection word wins: "Install-time detections" is about what
	// the tool catches.
	switch {
	case detectionHeading().Match(h):
		return sectionDetection
	case setupHeading().Match(h):
		return sectionSetup
	}
	return sectionNone
}

// fenceAt reports whether offset a is inside a fenced code block (looking
// back at most 16 KiB) and how strongly that block is labelled as a
// sample: by its info string (```text, ```yara) or by the two lines before
// it ("Example:" 1; "Output:", "❌ malicious:" 2).
func fenceAt(src []byte, a int) (inside bool, sample int) {
	lo := max(0, a-16384)
	seg := src[lo:a]
	open := -1
	for i := 0; i < len(seg); {
		j := bytes.IndexByte(seg[i:], '\n')
		end := len(seg)
		if j >= 0 {
			end = i + j
		}
		t := bytes.TrimLeft(seg[i:end], " \t>")
		if bytes.HasPrefix(t, []byte("```")) || bytes.HasPrefix(t, []byte("~~~")) {
			if open < 0 {
				open = i
			} else {
				open = -1
			}
		}
		if j < 0 {
			break
		}
		i = end + 1
	}
	if open < 0 {
		return false, 0
	}
	lineEnd := bytes.IndexByte(seg[open:], '\n')
	if lineEnd < 0 {
		lineEnd = len(seg) - open
	}
	info := bytes.TrimLeft(bytes.TrimLeft(seg[open:open+lineEnd], " \t>"), "`~")
	if fenceInfoSample().Match(bytes.TrimSpace(info)) {
		return true, 2
	}
	// The label: up to two non-empty lines before the fence.
	pre := seg[:open]
	for k := 0; k < 2 && len(pre) > 0; {
		pre = bytes.TrimRight(pre, " \t\r\n")
		i := bytes.LastIndexByte(pre, '\n')
		l := pre[i+1:]
		if len(bytes.TrimSpace(l)) > 0 {
			if fenceStrong().Match(l) {
				return true, 2
			}
			if fenceLabel().Match(l) {
				return true, 1
			}
			k++
		}
		if i < 0 {
			break
		}
		pre = pre[:i]
	}
	return true, 0
}

// inRuleBody reports a match inside a YARA or Sigma rule: the match's
// line is a YARA string definition, or the lines before it open a rule
// body.
func inRuleBody(src []byte, a int, line []byte) bool {
	if yaraString().Match(line) {
		return true
	}
	w := window(src, a, 12)
	return yaraBlock().Match(w) || (sigmaBlock().Match(w) && bytes.Contains(w, []byte("condition")))
}

// fileRole is what a file is for, by its name and extension.
type fileRole uint8

const (
	roleOrdinary fileRole = iota
	// roleRules: a detection-rule or indicator data file (.yar, a
	// patterns.json, an iocs.txt).
	roleRules
	// roleThreatDoc: a document cataloguing attacks (THREATS.md).
	roleThreatDoc
)

func roleOf(rel string) fileRole {
	base := path.Base(baseRel(rel))
	ext := strings.ToLower(path.Ext(base))
	switch {
	case isSkillFile(base):
		return roleOrdinary
	case ruleFileExt[ext]:
		return roleRules
	case dataFileExt[ext] && threatDocName().MatchString(base):
		return roleRules
	case isProseFile(rel) && threatDocName().MatchString(base):
		return roleThreatDoc
	}
	return roleOrdinary
}
