package skillscan

import (
	"context"
	"encoding/json"
	"net/url"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/clawgov/clawgov/internal/approval"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/openclaw"
	"github.com/clawgov/clawgov/internal/posture"
)

// noRegistryKey is the message key of the skip when clawgov.yaml names
// no registry.url: the organisation-registry checks have nothing to
// compare with, which is said, never passed silently.
const noRegistryKey = "no_registry"

// setting is one place that sets a registry variable.
type setting struct {
	key, value, where string
}

// The variables that choose a registry (clawhub-protocol.md §1.1, §1.2):
// OpenClaw reads OPENCLAW_CLAWHUB_URL, then CLAWHUB_URL; the clawhub CLI
// reads CLAWHUB_REGISTRY (legacy CLAWDHUB_REGISTRY) and otherwise runs
// discovery on CLAWHUB_SITE (legacy CLAWDHUB_SITE), default the public
// site.
var (
	openclawKeys = []string{"OPENCLAW_CLAWHUB_URL", "CLAWHUB_URL"}
	cliRegKeys   = []string{"CLAWHUB_REGISTRY", "CLAWDHUB_REGISTRY"}
	cliSiteKeys  = []string{"CLAWHUB_SITE", "CLAWDHUB_SITE"}
)

// registrySettings collects every place of the deployment that sets one of
// keys: the gateway units (Environment=, EnvironmentFile=), the running
// gateway processes, the dotenv files OpenClaw loads (<state>/.env,
// gateway.env), the config's env block, /etc/environment (login
// sessions, where people run the CLIs) and clawgov's own environment as
// the inventory recorded it. Every one counts: a unit that pins the
// gateway does not pin an `openclaw skills install` typed in a shell that
// reads ~/.openclaw/.env.
func registrySettings(s *posture.Snapshot, keys []string) []setting {
	inv := s.OC
	var out []setting
	seen := map[string]bool{}
	add := func(k, v, where string) {
		v = strings.TrimSpace(v)
		if v == "" || seen[k+"\x00"+where] {
			return
		}
		seen[k+"\x00"+where] = true
		out = append(out, setting{k, v, where})
	}
	if s.Host != nil {
		for _, u := range s.Host.Units {
			for _, k := range keys {
				if v, ok := u.Environment[k]; ok {
					where := "unit:" + u.Path
					if src := u.EnvSource[k]; src != "" && src != u.Path {
						where += " (" + src + ")"
					}
					add(k, v, where)
				}
			}
		}
		for _, p := range s.Host.Processes {
			for _, k := range keys {
				if v, ok := p.Env[k]; ok {
					add(k, v, "process:"+itoa(p.PID))
				}
			}
		}
	}
	for _, f := range inv.Paths.DotEnvFiles {
		b, err := readSmall(hostDir(inv.Rootfs, f))
		if err != nil {
			continue
		}
		for _, kv := range openclaw.ParseDotEnv(b) {
			for _, k := range keys {
				if kv[0] == k {
					add(k, kv[1], "dotenv:"+f)
				}
			}
		}
	}
	if vars := openclaw.ConfigEnvVars(inv.Config); vars != nil {
		for _, k := range keys {
			if v, ok := vars[k]; ok {
				add(k, v, "config:"+inv.Config.Path+" env")
			}
		}
	}
	if b, err := readSmall(hostDir(inv.Rootfs, "/etc/environment")); err == nil {
		kvs, _ := host.ParseEnvFile(b)
		for _, kv := range kvs {
			for _, k := range keys {
				if kv[0] == k {
					add(k, kv[1], "/etc/environment")
				}
			}
		}
	}
	// The effective value the inventory resolved when no place above set
	// it: on a live host that includes clawgov's own environment (the
	// shell people run the CLIs from); a disk image's is not this one's.
	for _, k := range keys {
		if v, ok := inv.Env[k]; ok {
			src := inv.EnvSources[k]
			if src == "" {
				src = "process"
			}
			if src == "process" && inv.Rootfs != "" {
				continue
			}
			if !strings.HasPrefix(src, "unit:") && !strings.HasPrefix(src, "dotenv:") && !strings.HasPrefix(src, "config:") {
				add(k, v, src)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].key != out[j].key {
			return keyRank(keys, out[i].key) < keyRank(keys, out[j].key)
		}
		return out[i].where < out[j].where
	})
	return out
}

func keyRank(keys []string, k string) int {
	for i, x := range keys {
		if x == k {
			return i
		}
	}
	return len(keys)
}

func itoa(n int) string { return strconv.Itoa(n) }

// origin is scheme://host[:port] of a URL, normalised.
func originOf(u string) string {
	n := approval.NormalizeURL(u)
	p, err := url.Parse(n)
	if err != nil || p.Host == "" {
		return n
	}
	return p.Scheme + "://" + p.Host
}

// pinnedFindings is CG-SKL-024: both clients are pinned to the
// organisation registry. A setting naming another registry fails; none at
// all warns (a strict profile fails it), because both clients then fall
// back to the public registry without a word.
func pinnedFindings(s *posture.Snapshot) []finding.Finding {
	reg := s.Registry
	if reg == nil || reg.URL == "" {
		return []finding.Finding{{CheckID: CheckPinned, Status: finding.Skip, MessageKey: noRegistryKey, MatchKey: noRegistryKey}}
	}
	org := approval.NormalizeURL(reg.URL)
	var out []finding.Finding
	ev := func(ss []setting) []finding.Evidence {
		var e []finding.Evidence
		for _, x := range ss {
			e = append(e, finding.Evidence{Kind: "env", File: x.where, KeyPath: x.key, Value: x.value})
		}
		return e
	}
	judge := func(client string, settings []setting, pins func(setting) bool) {
		var good, bad []setting
		for _, x := range settings {
			if pins(x) {
				good = append(good, x)
			} else {
				bad = append(bad, x)
			}
		}
		params := map[string]string{"client": client, "org": org}
		switch {
		case len(bad) > 0:
			params["key"], params["value"], params["where"] = bad[0].key, bad[0].value, bad[0].where
			out = append(out, finding.Finding{CheckID: CheckPinned, Status: finding.Fail, Target: client, MatchKey: client, MessageKey: "elsewhere", Params: params, Evidence: ev(bad)})
		case len(good) == 0:
			f := finding.Finding{CheckID: CheckPinned, Status: finding.Warn, Target: client, MatchKey: client, MessageKey: "absent", Params: params}
			if client == "clawhub" {
				if c := clawhubConfig(s.OC); c.where != "" {
					// The cached registry is used only when discovery on the
					// default (public) site fails: it pins nothing.
					f.MessageKey = "cached_only"
					params["where"], params["value"] = c.where, c.value
					f.Evidence = []finding.Evidence{{Kind: "file", File: c.where, KeyPath: "registry", Value: c.value}}
				}
			}
			out = append(out, f)
		default:
			params["where"] = good[0].where
			out = append(out, finding.Finding{CheckID: CheckPinned, Status: finding.Pass, Target: client, MatchKey: client, MessageKey: "pinned", Params: params, Evidence: ev(good)})
		}
	}
	judge("openclaw", registrySettings(s, openclawKeys), func(x setting) bool { return approval.NormalizeURL(x.value) == org })
	judge("clawhub", registrySettings(s, append(append([]string{}, cliRegKeys...), cliSiteKeys...)), func(x setting) bool {
		if x.key == cliSiteKeys[0] || x.key == cliSiteKeys[1] {
			// The site is where discovery (/.well-known/clawhub.json, at
			// the host root) runs; with a registry variable set it is still
			// the login host. Either way it must be ours.
			return originOf(x.value) == originOf(org)
		}
		return approval.NormalizeURL(x.value) == org
	})
	return out
}

// clawhubConfig is the registry cached in the clawhub CLI's config file
// (CLAWHUB_CONFIG_PATH, else ~/.config/clawhub/config.json, legacy
// clawdhub).
func clawhubConfig(inv *openclaw.Inventory) setting {
	var files []string
	if p := strings.TrimSpace(inv.Env["CLAWHUB_CONFIG_PATH"]); p != "" {
		files = append(files, expandHome(p, inv.Paths.Home))
	} else if inv.Paths.Home != "" {
		files = append(files, path.Join(inv.Paths.Home, ".config", "clawhub", "config.json"), path.Join(inv.Paths.Home, ".config", "clawdhub", "config.json"))
	}
	for _, f := range files {
		b, err := readSmall(hostDir(inv.Rootfs, f))
		if err != nil {
			continue
		}
		var c struct {
			Registry string `json:"registry"`
		}
		if json.Unmarshal(b, &c) == nil && strings.TrimSpace(c.Registry) != "" {
			return setting{key: "registry", value: c.Registry, where: f}
		}
		break
	}
	return setting{}
}

// fromOrg reports whether the install record names the organisation
// registry.
func fromOrg(reg *posture.OrgRegistry, recorded string) bool {
	return reg != nil && reg.URL != "" && approval.SameRegistry(reg.URL, recorded)
}

// approvalFindings is CG-SKL-016 for one skill installed from the
// organisation registry: the registry's signed approval record for the
// installed version, checked against the pinned key, must name the
// fileTreeSha256 of the files on disk now.
func approvalFindings(ctx context.Context, reg *posture.OrgRegistry, t target, p *Provenance) []finding.Finding {
	slug, owner, ver, file := filepath.Base(t.hostDir), "", "", ""
	if o := p.Origin; o != nil {
		if o.Slug != "" {
			slug = o.Slug
		}
		owner, ver, file = o.OwnerHandle, o.InstalledVersion, o.File
	}
	if ver == "" && p.Lock != nil {
		ver, file = p.Lock.Version, p.Lock.File
		if owner == "" {
			owner = p.Lock.OwnerHandle
		}
	}
	params := map[string]string{"skill": t.name, "version": orNone(ver), "registry": approval.NormalizeURL(reg.URL)}
	f := finding.Finding{CheckID: CheckApproval, Target: t.name, Params: params,
		Evidence: []finding.Evidence{{Kind: "file", File: file, KeyPath: "installedVersion", Value: ver}}}
	if reg.Verifier == nil {
		f.Status, f.MessageKey, params["reason"] = finding.Manual, "unverifiable", "no registry client"
		return []finding.Finding{f}
	}
	st := reg.Verifier.Verify(ctx, slug, owner, ver)
	params["reason"] = st.Reason
	if st.Record != nil {
		params["approvers"] = st.Record.Reviewers()
		params["key_id"] = st.KeyID
		params["approved"] = st.Record.FileTreeSHA256
	}
	switch st.Outcome {
	case approval.Approved:
		tree, err := p.TreeSHA256, p.TreeErr
		if tree == "" && err == nil {
			tree, err = FileTreeSHA256(t.hostDir)
		}
		if err != nil {
			f.Status, f.MessageKey, params["error"] = finding.Error, "error", err.Error()
			return []finding.Finding{f}
		}
		params["actual"] = tree
		f.Evidence = append(f.Evidence, finding.Evidence{Kind: "skill", File: t.dir, KeyPath: "fileTreeSha256", Value: tree,
			Detail: "approved " + st.Record.FileTreeSHA256 + " (record signed by key " + st.KeyID + ", approved by " + st.Record.Reviewers() + ")"})
		if o := p.Origin; o != nil && o.Artifact != nil && o.Artifact.SHA256 != "" && o.Artifact.SHA256 != st.Record.ArchiveSHA256 {
			f.Evidence = append(f.Evidence, finding.Evidence{Kind: "file", File: o.File, KeyPath: "artifact.sha256", Value: o.Artifact.SHA256, Detail: "approved archive " + st.Record.ArchiveSHA256})
		}
		if tree == st.Record.FileTreeSHA256 {
			f.Status, f.MessageKey = finding.Pass, "match"
		} else {
			f.Status, f.MessageKey, f.Severity = finding.Fail, "tampered", finding.Critical
		}
	case approval.Revoked:
		f.Status, f.MessageKey = finding.Fail, "revoked"
	case approval.NotApproved:
		f.Status, f.MessageKey = finding.Fail, "not_approved"
	case approval.BadSignature:
		f.Status, f.MessageKey = finding.Fail, "bad_signature"
	default:
		f.Status, f.MessageKey = finding.Manual, "unverifiable"
	}
	return []finding.Finding{f}
}

// ApprovalFindings checks every installed skill that came from the
// organisation registry against its signed approval (CG-SKL-016), for
// `clawgov skills scan --installed`; the audit gets the same findings
// from the engine. A nil or URL-less registry gives the one skip.
func ApprovalFindings(ctx context.Context, inv *openclaw.Inventory, reg *posture.OrgRegistry) []finding.Finding {
	if reg == nil || reg.URL == "" {
		return []finding.Finding{{CheckID: CheckApproval, Status: finding.Skip, MessageKey: noRegistryKey, MatchKey: noRegistryKey}}
	}
	var out []finding.Finding
	for _, t := range installedTargets(inv) {
		if t.hostDir == "" || t.plugin || t.root == "bundled" {
			continue
		}
		p := ReadProvenance(t.hostDir)
		if fromOrg(reg, recordedRegistry(p)) {
			out = append(out, approvalFindings(ctx, reg, t, p)...)
		}
	}
	return out
}

// recordedRegistry is the registry origin.json (else lock.json) records.
func recordedRegistry(p *Provenance) string {
	if p.Origin != nil {
		return p.Origin.Registry
	}
	if p.Lock != nil {
		return p.Lock.Registry
	}
	return ""
}
