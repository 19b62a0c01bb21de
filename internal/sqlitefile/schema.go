package sqlitefile

import (
	"errors"
	"strconv"
	"strings"
)

// tableDef is what a CREATE TABLE statement says about the stored rows.
type tableDef struct {
	columns      []string
	defaults     []Value
	rowidCol     int
	withoutRowid bool
}

// token is one lexical token of a CREATE TABLE statement.
type token struct {
	text   string // identifier (unquoted), keyword, literal or punctuation
	quoted bool   // a quoted identifier ("x", `x`, [x])
	str    bool   // a string literal ('x')
}

// lex splits SQL into tokens: enough of SQLite's grammar to find column
// definitions (identifiers, quoted names, literals, punctuation).
func lex(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return nil, errors.New("unterminated comment")
			}
			i += end + 4
		case c == '\'' || c == '"' || c == '`':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return nil, errors.New("unterminated quote")
				}
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c { // doubled quote
						b.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			out = append(out, token{text: b.String(), quoted: c != '\'', str: c == '\''})
			i = j + 1
		case c == '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, errors.New("unterminated [name]")
			}
			out = append(out, token{text: s[i+1 : i+end], quoted: true})
			i += end + 1
		case c == '(' || c == ')' || c == ',' || c == ';':
			out = append(out, token{text: string(c)})
			i++
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r\f()',;\"`[", rune(s[j])) {
				if s[j] == '-' && j+1 < len(s) && s[j+1] == '-' && j > i {
					break
				}
				j++
			}
			if j == i {
				j++
			}
			out = append(out, token{text: s[i:j]})
			i = j
		}
	}
	return out, nil
}

func (t token) is(kw string) bool { return !t.quoted && !t.str && strings.EqualFold(t.text, kw) }

// parseCreateTable reads the column list of a CREATE TABLE statement.
func parseCreateTable(sql string) (*tableDef, error) {
	toks, err := lex(sql)
	if err != nil {
		return nil, err
	}
	// CREATE [TEMP|TEMPORARY] TABLE [IF NOT EXISTS] [schema.]name ( ... ) [options]
	i := 0
	for i < len(toks) && (toks[i].text != "(" || toks[i].quoted || toks[i].str) {
		if toks[i].is("AS") {
			return nil, errors.New("CREATE TABLE ... AS SELECT is not supported")
		}
		i++
	}
	if i == len(toks) {
		return nil, errors.New("no column list")
	}
	// Split the list at top-level commas.
	var items [][]token
	depth, start := 0, i+1
	end := -1
	for j := i + 1; j < len(toks) && end < 0; j++ {
		switch toks[j].text {
		case "(":
			if !toks[j].quoted && !toks[j].str {
				depth++
			}
		case ")":
			if toks[j].quoted || toks[j].str {
				continue
			}
			if depth == 0 {
				items = append(items, toks[start:j])
				end = j
			}
			depth--
		case ",":
			if depth == 0 && !toks[j].quoted && !toks[j].str {
				items = append(items, toks[start:j])
				start = j + 1
			}
		}
	}
	if end < 0 {
		return nil, errors.New("unterminated column list")
	}
	def := &tableDef{rowidCol: -1}
	for _, opt := range toks[end+1:] {
		if opt.is("ROWID") {
			def.withoutRowid = true // WITHOUT ROWID (STRICT is harmless)
		}
	}
	var intCols []bool
	var tablePK []string
	for _, it := range items {
		if len(it) == 0 {
			return nil, errors.New("empty column definition")
		}
		first := it[0]
		if first.is("CONSTRAINT") || first.is("PRIMARY") || first.is("UNIQUE") || first.is("CHECK") || first.is("FOREIGN") {
			if first.is("PRIMARY") || (first.is("CONSTRAINT") && len(it) > 2 && it[2].is("PRIMARY")) {
				tablePK = pkColumns(it)
			}
			continue
		}
		def.columns = append(def.columns, first.text)
		// The declared type is the tokens before the first constraint.
		var typ []string
		k := 1
		for ; k < len(it) && !isConstraintStart(it[k]); k++ {
			if it[k].text == "(" {
				for k < len(it) && it[k].text != ")" {
					k++
				}
				continue
			}
			typ = append(typ, strings.ToUpper(it[k].text))
		}
		isInt := len(typ) == 1 && typ[0] == "INTEGER"
		intCols = append(intCols, isInt)
		def.defaults = append(def.defaults, columnDefault(it[k:]))
		// Column-level PRIMARY KEY on an INTEGER column makes it the rowid,
		// unless DESC (SQLite's documented quirk).
		for m := k; m+1 < len(it); m++ {
			if it[m].is("PRIMARY") && it[m+1].is("KEY") {
				desc := m+2 < len(it) && it[m+2].is("DESC")
				if isInt && !desc {
					def.rowidCol = len(def.columns) - 1
				}
			}
		}
	}
	if len(tablePK) == 1 && def.rowidCol < 0 {
		for c, name := range def.columns {
			if strings.EqualFold(name, tablePK[0]) && intCols[c] {
				def.rowidCol = c
			}
		}
	}
	if len(def.columns) == 0 {
		return nil, errors.New("no columns")
	}
	return def, nil
}

func isConstraintStart(t token) bool {
	for _, kw := range []string{"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE", "REFERENCES", "GENERATED", "AS"} {
		if t.is(kw) {
			return true
		}
	}
	return false
}

// pkColumns lists the columns of a table-level PRIMARY KEY (...); a
// column with DESC, COLLATE or an expression is returned as "" so it never
// matches a column name.
func pkColumns(it []token) []string {
	var out []string
	for i := 0; i < len(it); i++ {
		if it[i].text != "(" || it[i].quoted || it[i].str {
			continue
		}
		cur := ""
		n := 0
		for j := i + 1; j < len(it) && it[j].text != ")"; j++ {
			switch {
			case it[j].text == ",":
				if n != 1 {
					cur = ""
				}
				out = append(out, cur)
				cur, n = "", 0
			case it[j].is("ASC"):
			default:
				if n == 0 {
					cur = it[j].text
				}
				n++
			}
		}
		if n != 1 {
			cur = ""
		}
		return append(out, cur)
	}
	return nil
}

// columnDefault reads a DEFAULT literal from a column's constraints.
func columnDefault(cons []token) Value {
	for i := 0; i+1 < len(cons); i++ {
		if !cons[i].is("DEFAULT") {
			continue
		}
		t := cons[i+1]
		neg := false
		if (t.text == "-" || t.text == "+") && i+2 < len(cons) {
			neg = t.text == "-"
			t = cons[i+2]
		}
		switch {
		case t.str:
			return Value{Kind: Text, Bytes: []byte(t.text)}
		case t.quoted:
			return Value{} // an identifier: not a literal we evaluate
		case t.is("NULL"):
			return Value{}
		case t.is("TRUE"):
			return Value{Kind: Integer, Int: 1}
		case t.is("FALSE"):
			return Value{Kind: Integer, Int: 0}
		}
		if n, err := strconv.ParseInt(t.text, 10, 64); err == nil {
			if neg {
				n = -n
			}
			return Value{Kind: Integer, Int: n}
		}
		if f, err := strconv.ParseFloat(t.text, 64); err == nil && !strings.ContainsAny(t.text, "xXpP_") {
			if neg {
				f = -f
			}
			return Value{Kind: Real, Float: f}
		}
		return Value{}
	}
	return Value{}
}
