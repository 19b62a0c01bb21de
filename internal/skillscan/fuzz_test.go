package skillscan

import (
	"archive/zip"
	"bytes"
	"path"
	"strings"
	"testing"
)

func FuzzFrontMatter(f *testing.F) {
	for _, s := range []string{
		"---\nname: x\ndescription: y\n---\nbody",
		"---\nname: x\nmetadata:\n  openclaw:\n    install:\n      - {id: a, kind: download, url: 'http://1.2.3.4/x'}\n---\n",
		"---\nname: [unclosed\ndescription: y\n---\n",
		"---\r\nname: crlf\r\n---\r\n",
		"\xef\xbb\xbf---\nname: bom\n---\n",
		"---\nno end",
		"no front matter",
		"---\nmetadata: {\"openclaw\": {\"install\": [{\"kind\": \"download\",}]}}\n---\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fm, err := ParseFrontMatter(b)
		if err != nil && fm != nil {
			t.Fatal("both a result and an error")
		}
		if fm != nil && fm.Line < 2 {
			t.Fatalf("body line %d", fm.Line)
		}
	})
}

func FuzzArchiveReader(f *testing.F) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("SKILL.md")
	w.Write([]byte("---\nname: x\n---\n"))
	w, _ = zw.Create("../escape")
	w.Write([]byte("x"))
	zw.Close()
	f.Add(buf.Bytes(), "zip")
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"), "tgz")
	f.Add([]byte("PK\x05\x06"+strings.Repeat("\x00", 18)), "zip")
	f.Add(make([]byte, 1024), "tar")
	f.Fuzz(func(t *testing.T, data []byte, kind string) {
		lim := DefaultLimits()
		lim.MaxArchiveBytes = 1 << 20
		lim.MaxArchiveEntries = 200
		ar := &archiveReader{lim: lim, budget: lim.MaxArchiveBytes}
		ar.read("f.zip", data, kind, 0)
		var total int64
		for _, m := range ar.files {
			total += int64(len(m.data))
			for _, seg := range strings.Split(m.path, "!/") {
				if seg == "" || path.IsAbs(seg) || seg == ".." || strings.HasPrefix(seg, "../") || strings.Contains(seg, "/../") {
					t.Fatalf("unsafe member path %q", m.path)
				}
			}
		}
		if total > lim.MaxArchiveBytes {
			t.Fatalf("read %d bytes, budget %d", total, lim.MaxArchiveBytes)
		}
	})
}
