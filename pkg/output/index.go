package output

import (
	"fmt"
	"reflect"
)

// index replaces text/template's builtin of the same name, which returns
// the zero value (printed "<no value>") for a key a map does not have:
// with missingkey=error, {{.m.nosuch}} fails, so {{index .m "nosuch"}}
// must fail the same way (reliability matrix #39). Slices, arrays and
// strings are indexed as the builtin does, out of range an error.
func index(item any, keys ...any) (any, error) {
	v := reflect.ValueOf(item)
	for _, k := range keys {
		for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return nil, fmt.Errorf("index of a nil value")
			}
			v = v.Elem()
		}
		switch v.Kind() {
		case reflect.Map:
			kv := reflect.ValueOf(k)
			if !kv.IsValid() {
				return nil, fmt.Errorf("index of a map with a nil key")
			}
			if !kv.Type().AssignableTo(v.Type().Key()) {
				if !kv.Type().ConvertibleTo(v.Type().Key()) {
					return nil, fmt.Errorf("index: key %v (%s) does not fit a map of %s keys", k, kv.Type(), v.Type().Key())
				}
				kv = kv.Convert(v.Type().Key())
			}
			x := v.MapIndex(kv)
			if !x.IsValid() {
				return nil, fmt.Errorf("map has no key %q", fmt.Sprint(k))
			}
			v = x
		case reflect.Slice, reflect.Array, reflect.String:
			i, ok := toInt(k)
			if !ok {
				return nil, fmt.Errorf("index: %v (%T) is not an integer index", k, k)
			}
			if i < 0 || i >= v.Len() {
				return nil, fmt.Errorf("index %d out of range (length %d)", i, v.Len())
			}
			v = v.Index(i)
		case reflect.Invalid:
			return nil, fmt.Errorf("index of a nil value")
		default:
			return nil, fmt.Errorf("cannot index a value of type %s", v.Type())
		}
	}
	if !v.IsValid() {
		return nil, nil
	}
	return v.Interface(), nil
}

// toInt reads an index the way templates write them: an int constant, or
// a number decoded from JSON (float64).
func toInt(k any) (int, bool) {
	v := reflect.ValueOf(k)
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(v.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int(v.Uint()), true
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if f != float64(int(f)) {
			return 0, false
		}
		return int(f), true
	}
	return 0, false
}
