package openclaw

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/clawgov/clawgov/internal/sqlitefile"
)

// The auth profile reader used to be this SQL; the Go version must give
// the same rows for every store document, odd ones included.
const authProfilesSQL = `SELECT j.key, json_extract(j.value, '$.type'), json_extract(j.value, '$.provider'),
	(json_type(j.value, '$.key') = 'text' AND json_extract(j.value, '$.key') != '') OR
	(json_type(j.value, '$.access') = 'text' AND json_extract(j.value, '$.access') != '') OR
	(json_type(j.value, '$.refresh') = 'text' AND json_extract(j.value, '$.refresh') != '') OR
	(json_type(j.value, '$.token') = 'text' AND json_extract(j.value, '$.token') != ''),
	json_type(j.value, '$.keyRef') = 'object' OR json_type(j.value, '$.tokenRef') = 'object'
	FROM auth_profile_store AS t, json_each(CASE WHEN json_valid(t.store_json) THEN t.store_json ELSE '{}' END, '$.profiles') AS j ORDER BY 1`

func TestAuthProfilesMatchSQLite(t *testing.T) {
	docs := []string{
		`{"profiles":{"b":{"type":"api_key","provider":"openai","key":"sk-x"},"a":{"type":"oauth","provider":"anthropic","access":"","refresh":"r"}}}`,
		`{"profiles":{"c":{"keyRef":{"source":"env","id":"K"}},"d":{"tokenRef":"not-an-object","token":""},"e":{"type":7,"provider":true,"key":5}}}`,
		`{"profiles":{"f":{"type":{"nested":[1, 2]},"provider":null,"token":"t"},"g":"scalar","h":[1]}}`,
		`{"profiles":[{"type":"x","key":"k"},{"type":"y"}]}`,
		`{"profiles":"just text"}`,
		`{"profiles":{}}`,
		`{"other":1}`,
		`not json at all`,
		`{"profiles":{"z":{"type":"t"},"Z":{"type":"u"},"é":{"type":"v"},"10":{},"9":{}}}`,
	}
	for i, doc := range docs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "a.sqlite")
			db, err := sql.Open("sqlite", p)
			must(t, err)
			defer db.Close()
			_, err = db.Exec(`CREATE TABLE auth_profile_store (store_key TEXT PRIMARY KEY, store_json TEXT)`)
			must(t, err)
			_, err = db.Exec(`INSERT INTO auth_profile_store VALUES ('default', ?)`, doc)
			must(t, err)
			rows, qerr := db.Query(authProfilesSQL)
			var want []AuthProfile
			for qerr == nil && rows.Next() {
				var id, typ, provider sql.NullString
				var secret, ref sql.NullBool
				must(t, rows.Scan(&id, &typ, &provider, &secret, &ref))
				want = append(want, AuthProfile{Store: "agent", ID: id.String, Type: typ.String, Provider: provider.String, HasSecret: secret.Bool, HasRef: ref.Bool})
			}
			if qerr == nil {
				rows.Close()
			}
			b, err := os.ReadFile(p)
			must(t, err)
			sdb, err := sqlitefile.Open(bytes.NewReader(b), int64(len(b)), nil, 0)
			must(t, err)
			var probs []Problem
			r := newDBReader(context.Background(), sdb, p, &probs)
			st := &State{}
			r.authProfiles(st, "auth_profile_store", "store_json", "", "", "agent")
			if qerr != nil {
				// SQLite fails the whole query when one profile is a bare
				// string (json_extract re-parses it as JSON), which hid every
				// other profile of the store; the reader lists them all and
				// the odd one with nothing but its ID.
				if len(st.AuthProfiles) == 0 || len(probs) > 0 {
					t.Errorf("%s: %+v %v", doc, st.AuthProfiles, probs)
				}
				for _, p := range st.AuthProfiles {
					if p.HasSecret && p.Type == "" {
						t.Errorf("%s: %+v", doc, p)
					}
				}
				return
			}
			if !reflect.DeepEqual(st.AuthProfiles, want) || len(probs) > 0 {
				t.Errorf("%s:\n got  %+v %v\n want %+v", doc, st.AuthProfiles, probs, want)
			}
		})
	}
}
