package skillscan

// matcher is an Aho–Corasick automaton compiled to a dense DFA over
// ASCII-lowercased bytes. It answers "which keywords occur in this text"
// in one pass, which is what keeps the rule prefilter near memory speed:
// running every keyword through bytes.Index would read the text once per
// keyword.
type matcher struct {
	delta []int32 // state*256 + byte -> next state
	out   [][]int // keyword indices ending at this state (after fail merge)
	n     int     // number of keywords
}

var lowerTab = func() (t [256]byte) {
	for i := range t {
		c := byte(i)
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		t[i] = c
	}
	return t
}()

func newMatcher(keywords []string) *matcher {
	type node struct {
		next map[byte]int32
		fail int32
		out  []int
	}
	nodes := []node{{next: map[byte]int32{}}}
	for ki, k := range keywords {
		s := int32(0)
		for i := 0; i < len(k); i++ {
			c := lowerTab[k[i]]
			nx, ok := nodes[s].next[c]
			if !ok {
				nx = int32(len(nodes))
				nodes = append(nodes, node{next: map[byte]int32{}})
				nodes[s].next[c] = nx
			}
			s = nx
		}
		nodes[s].out = append(nodes[s].out, ki)
	}
	m := &matcher{delta: make([]int32, len(nodes)*256), out: make([][]int, len(nodes)), n: len(keywords)}
	// BFS to set fail links and fill the dense table.
	queue := []int32{}
	for c := 0; c < 256; c++ {
		if nx, ok := nodes[0].next[byte(c)]; ok {
			m.delta[c] = nx
			nodes[nx].fail = 0
			queue = append(queue, nx)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := nodes[s].fail
		nodes[s].out = append(nodes[s].out, nodes[f].out...)
		for c := 0; c < 256; c++ {
			if nx, ok := nodes[s].next[byte(c)]; ok {
				nodes[nx].fail = m.delta[int(f)*256+c]
				m.delta[int(s)*256+c] = nx
				queue = append(queue, nx)
			} else {
				m.delta[int(s)*256+c] = m.delta[int(f)*256+c]
			}
		}
	}
	for i := range nodes {
		m.out[i] = nodes[i].out
	}
	return m
}

// find marks in seen every keyword that occurs in text, and returns how
// many distinct keywords were newly marked.
func (m *matcher) find(text []byte, seen []bool) int {
	if m == nil || m.n == 0 {
		return 0
	}
	n := 0
	s := int32(0)
	delta := m.delta
	for _, b := range text {
		s = delta[int(s)<<8|int(lowerTab[b])]
		if o := m.out[s]; o != nil {
			for _, k := range o {
				if !seen[k] {
					seen[k] = true
					n++
				}
			}
		}
	}
	return n
}

// kwHit is one keyword occurrence: keyword index and the offset just past
// its last byte.
type kwHit struct {
	kw  int32
	end int32
}

// maxHits bounds the hits recorded per text; past it the caller falls
// back to running the candidate rules over the whole text.
const maxHits = 1 << 16

// findHits is find that also records where each keyword occurs (up to
// maxHits); overflow reports that hits were dropped.
func (m *matcher) findHits(text []byte, seen []bool, hits []kwHit) (_ []kwHit, n int, overflow bool) {
	if m == nil || m.n == 0 {
		return hits, 0, false
	}
	s := int32(0)
	delta := m.delta
	for i, b := range text {
		s = delta[int(s)<<8|int(lowerTab[b])]
		if o := m.out[s]; o != nil {
			for _, k := range o {
				if !seen[k] {
					seen[k] = true
					n++
				}
				if len(hits) < maxHits {
					hits = append(hits, kwHit{int32(k), int32(i + 1)})
				} else {
					overflow = true
				}
			}
		}
	}
	return hits, n, overflow
}
