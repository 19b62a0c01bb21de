package advisory

import "reflect"

// Small aliases so version_test.go reads cleanly with testing/quick.
type reflectValue = reflect.Value

func reflectOf(x any) reflect.Value { return reflect.ValueOf(x) }
