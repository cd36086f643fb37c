package transport

import (
	"net/http"
	"strconv"
	"strings"
)

const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// acceptRange is one element of an Accept header.
type acceptRange struct {
	typ, sub string
	q        float64
}

// negotiate picks the response media type for r from its Accept header(s).
//
// application/graphql-response+json is chosen when its quality is strictly
// higher than application/json's, or equal to it and it is named explicitly
// (not only matched by a wildcard). Everything else, including a missing
// Accept header, wildcards only, or an Accept naming neither type, gets
// application/json.
func negotiate(r *http.Request) string {
	ranges := parseAccept(r.Header.Values("Accept"))
	qGR, explicitGR := quality(ranges, "application", "graphql-response+json")
	qJSON, _ := quality(ranges, "application", "json")
	if qGR <= 0 {
		return mediaJSON
	}
	if qGR > qJSON || (qGR == qJSON && explicitGR) {
		return mediaGraphQLResponse
	}
	return mediaJSON
}

// parseAccept parses Accept header values leniently; elements that cannot be
// understood are skipped.
func parseAccept(values []string) []acceptRange {
	var out []acceptRange
	for _, v := range values {
		for elem := range strings.SplitSeq(v, ",") {
			params := strings.Split(elem, ";")
			mt := strings.ToLower(strings.TrimSpace(params[0]))
			typ, sub, ok := strings.Cut(mt, "/")
			if !ok || typ == "" || sub == "" || (typ == "*" && sub != "*") {
				continue
			}
			ar := acceptRange{typ: typ, sub: sub, q: 1}
			valid := true
			for _, p := range params[1:] {
				k, val, _ := strings.Cut(p, "=")
				if !strings.EqualFold(strings.TrimSpace(k), "q") {
					continue
				}
				q, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
				if err != nil || q < 0 || q > 1 {
					valid = false
					break
				}
				ar.q = q
			}
			if valid {
				out = append(out, ar)
			}
		}
	}
	return out
}

// quality returns the q-value the most specific matching range gives
// typ/sub (0 when nothing matches) and whether that range names it exactly.
func quality(ranges []acceptRange, typ, sub string) (q float64, explicit bool) {
	best := -1 // specificity of the best match: 0 */*, 1 type/*, 2 exact
	for _, ar := range ranges {
		spec := -1
		switch {
		case ar.typ == typ && ar.sub == sub:
			spec = 2
		case ar.typ == typ && ar.sub == "*":
			spec = 1
		case ar.typ == "*" && ar.sub == "*":
			spec = 0
		}
		if spec < 0 {
			continue
		}
		if spec > best || (spec == best && ar.q > q) {
			best, q = spec, ar.q
		}
	}
	return q, best == 2
}
