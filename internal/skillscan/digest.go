package skillscan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
)

var (
	rulesDigestOnce sync.Once
	rulesDigest     string
)

// RulesDigest is a short SHA-256 over the embedded rule and indicator
// files, so a stored verdict names the exact rule set that produced it
// (the registry keeps it with every scan and rescans when it changes).
func RulesDigest() string {
	rulesDigestOnce.Do(func() {
		h := sha256.New()
		names, _ := fs.Glob(rulesFS, "rules/*.yaml")
		sort.Strings(names)
		for _, n := range names {
			b, _ := fs.ReadFile(rulesFS, n)
			fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
			h.Write(b)
		}
		rulesDigest = hex.EncodeToString(h.Sum(nil))[:16]
	})
	return rulesDigest
}

// FileTreeSHA256Files computes the same fileTreeSha256 as FileTreeSHA256
// for a skill held in memory (path -> bytes, slash-separated relative
// paths), so a registry knows before any install the digest OpenClaw will
// record in origin.json. Folders are implied by the paths; top-level
// .clawhub/.clawdhub entries are skipped as OpenClaw skips them.
func FileTreeSHA256Files(files map[string][]byte) string {
	type node struct {
		kids map[string]*node
		data []byte
		file bool
	}
	root := &node{kids: map[string]*node{}}
	for p, b := range files {
		segs := strings.Split(p, "/")
		if segs[0] == ".clawhub" || segs[0] == ".clawdhub" {
			continue
		}
		n := root
		for i, s := range segs {
			k, ok := n.kids[s]
			if !ok {
				k = &node{kids: map[string]*node{}}
				n.kids[s] = k
			}
			if i == len(segs)-1 {
				k.file, k.data = true, b
			}
			n = k
		}
	}
	var buf bytes.Buffer
	buf.WriteByte('[')
	first := true
	var walk func(n *node, rel string)
	walk = func(n *node, rel string) {
		names := make([]string, 0, len(n.kids))
		for k := range n.kids {
			names = append(names, k)
		}
		sort.Slice(names, func(i, j int) bool { return jsLess(names[i], names[j]) })
		for _, name := range names {
			k := n.kids[name]
			r := name
			if rel != "" {
				r = rel + "/" + name
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			if k.file {
				sum := sha256.Sum256(k.data)
				fmt.Fprintf(&buf, `{"path":%s,"type":"file","sha256":"%s"}`, jsString(r), hex.EncodeToString(sum[:]))
				continue
			}
			fmt.Fprintf(&buf, `{"path":%s,"type":"directory"}`, jsString(r))
			walk(k, r)
		}
	}
	walk(root, "")
	buf.WriteByte(']')
	sum := sha256.Sum256(buf.Bytes())
	return "sha256:" + hex.EncodeToString(sum[:])
}
