package transport

import (
	"sort"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// slot is the place a map path points to: a null in an operation's
// variables that will hold an Upload.
type slot struct {
	obj   map[string]any
	key   string
	arr   []any
	index int
}

func (s slot) set(v any) {
	if s.obj != nil {
		s.obj[s.key] = v
		return
	}
	s.arr[s.index] = v
}

// mapEntry is one key of the multipart map with the slots of its paths.
type mapEntry struct {
	slots    []slot
	received bool
}

// uploadMap is the validated multipart map.
type uploadMap struct {
	entries map[string]*mapEntry
	keys    []string // sorted
}

// parseMap decodes and validates the map field against the decoded
// operations: every path must lead to an existing null inside the
// operation's variables, at a variable declared with an Upload type.
func parseMap(b []byte, ops []*graphql.RawParams, batch bool, maxFiles int) (*uploadMap, *reqError) {
	const shape = "expected a JSON object mapping file keys to non-empty arrays of path strings"
	if firstByte(b) != '{' {
		return nil, badRequest("invalid 'map': %s", shape)
	}
	var raw map[string]any
	if err := decodeJSON(b, &raw); err != nil {
		return nil, badRequest("invalid JSON in 'map': %s", describeJSONError(err))
	}
	um := &uploadMap{entries: make(map[string]*mapEntry, len(raw))}
	paths := make(map[string][]string, len(raw))
	for key, v := range raw {
		if key == "" {
			return nil, badRequest("invalid 'map': empty file key")
		}
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return nil, badRequest("invalid 'map': value for key %q must be a non-empty array of path strings", sanitize(key))
		}
		ps := make([]string, len(list))
		for i, p := range list {
			s, ok := p.(string)
			if !ok {
				return nil, badRequest("invalid 'map': value for key %q must be a non-empty array of path strings", sanitize(key))
			}
			ps[i] = s
		}
		paths[key] = ps
		um.keys = append(um.keys, key)
	}
	if len(um.keys) > maxFiles {
		e := requestError(codeTooManyFiles, "too many files: 'map' has %d entries, at most %d are allowed", len(um.keys), maxFiles)
		e.ext = map[string]any{"maxFiles": maxFiles}
		return nil, e
	}
	sort.Strings(um.keys)

	types := &varTypes{ops: ops}
	seen := make(map[string]bool)
	for _, key := range um.keys {
		e := &mapEntry{}
		for _, p := range paths[key] {
			if seen[p] {
				return nil, badRequest("map path %q is used more than once", sanitize(p))
			}
			seen[p] = true
			s, opIdx, varName, rerr := resolvePath(ops, batch, p)
			if rerr != nil {
				return nil, rerr
			}
			if rerr := types.check(opIdx, varName, p); rerr != nil {
				return nil, rerr
			}
			e.slots = append(e.slots, s)
		}
		um.entries[key] = e
	}
	return um, nil
}

// resolvePath walks a map path through the operations without changing
// them. It returns the slot, the operation index and the variable name at
// the root of the path.
func resolvePath(ops []*graphql.RawParams, batch bool, path string) (slot, int, string, *reqError) {
	q := sanitize(path)
	segs := strings.Split(path, ".")
	opIdx, prefix := 0, ""
	if batch {
		prefix = "N."
		idx, ok := parseIndex(segs[0], len(ops))
		if !ok {
			if isIndex(segs[0]) {
				return slot{}, 0, "", badRequest("map path %q: operation index %s is out of range (the batch has %d operations)", q, sanitize(segs[0]), len(ops))
			}
			return slot{}, 0, "", badRequest("map path %q must start with 'N.variables.' (N: operation index in the batch)", q)
		}
		opIdx, segs = idx, segs[1:]
	}
	if len(segs) < 2 || segs[0] != "variables" {
		return slot{}, 0, "", badRequest("map path %q must start with '%svariables.' and name a variable", q, prefix)
	}
	vars := ops[opIdx].Variables
	if vars == nil {
		return slot{}, 0, "", badRequest("map path %q: 'variables' is missing or null in 'operations'", q)
	}
	var cur any = vars
	walk := segs[1:]
	for i, seg := range walk {
		last := i == len(walk)-1
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[seg]
			if !ok {
				return slot{}, 0, "", badRequest("map path %q leads to nothing: no field %q in 'operations'", q, sanitize(seg))
			}
			if last {
				if v != nil {
					return slot{}, 0, "", badRequest("map path %q must point to null (the file placeholder), not to a value", q)
				}
				return slot{obj: c, key: seg}, opIdx, walk[0], nil
			}
			cur = v
		case []any:
			idx, ok := parseIndex(seg, len(c))
			if !ok {
				return slot{}, 0, "", badRequest("map path %q leads to nothing: index %q is invalid or out of range (length %d)", q, sanitize(seg), len(c))
			}
			if last {
				if c[idx] != nil {
					return slot{}, 0, "", badRequest("map path %q must point to null (the file placeholder), not to a value", q)
				}
				return slot{arr: c, index: idx}, opIdx, walk[0], nil
			}
			cur = c[idx]
		default:
			return slot{}, 0, "", badRequest("map path %q leads to nothing: %q is not inside an object or array", q, sanitize(seg))
		}
	}
	return slot{}, 0, "", badRequest("map path %q leads to nothing", q) // unreachable
}

// isIndex reports whether s is a non-empty string of ASCII digits.
func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseIndex parses a canonical non-negative decimal index below n.
func parseIndex(s string, n int) (int, bool) {
	if !isIndex(s) || len(s) > 9 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	idx := 0
	for i := 0; i < len(s); i++ {
		idx = idx*10 + int(s[i]-'0')
	}
	return idx, idx < n
}

// varTypes checks that map paths point into variables declared with an
// Upload type. Each operation's query is parsed at most once; when it does
// not parse (or the operation cannot be picked) the check is skipped and
// execution reports the problem.
type varTypes struct {
	ops    []*graphql.RawParams
	parsed map[int]*ast.OperationDefinition
}

func (t *varTypes) operation(i int) *ast.OperationDefinition {
	if op, ok := t.parsed[i]; ok {
		return op
	}
	if t.parsed == nil {
		t.parsed = make(map[int]*ast.OperationDefinition)
	}
	var op *ast.OperationDefinition
	p := t.ops[i]
	if doc, err := parser.ParseQuery(&ast.Source{Input: p.Query}); err == nil && doc != nil {
		if p.OperationName != "" {
			op = doc.Operations.ForName(p.OperationName)
		} else if len(doc.Operations) == 1 {
			op = doc.Operations[0]
		}
	}
	t.parsed[i] = op
	return op
}

func (t *varTypes) check(opIdx int, varName, path string) *reqError {
	op := t.operation(opIdx)
	if op == nil {
		return nil
	}
	def := op.VariableDefinitions.ForName(varName)
	if def == nil || def.Type == nil {
		return badRequest("map path %q points to variable $%s, which the operation does not declare", sanitize(path), sanitize(varName))
	}
	named := def.Type
	for named.Elem != nil {
		named = named.Elem
	}
	if named.NamedType != "Upload" {
		return badRequest("map path %q points to variable $%s of type %s, not Upload", sanitize(path), sanitize(varName), def.Type.String())
	}
	return nil
}
