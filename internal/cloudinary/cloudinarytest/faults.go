package cloudinarytest

import (
	"io"
	"net/http"
	"time"
)

// Fault changes how the fake answers requests of one kind.
type Fault struct {
	Op Op
	// Status and Body, when Status is set, replace the answer (nothing is
	// stored or destroyed, unless StoreFirst or LateStore says otherwise);
	// ContentType defaults to application/json.
	Status      int
	Body        string
	ContentType string
	// Delay holds the answer back (the work is done first) until it passes
	// or the client goes away.
	Delay time.Duration
	// LateStore, with Delay, stores an upload only after the delay, even
	// when the client has gone by then: an asset that lands after its
	// uploader gave up. With Status or Drop, the fault is answered at once
	// and the upload stored after the delay all the same (a proxy that gave
	// up on a Cloudinary that went on).
	LateStore bool
	// StoreFirst, with Status or Drop, stores the upload before answering
	// the fault: a proxy's 502 or a dropped connection after Cloudinary had
	// stored the asset.
	StoreFirst bool
	// PublicID, when set, limits the fault to destroys of that public id.
	PublicID string
	// Drop closes the connection without an answer (after reading the
	// request): a transport error.
	Drop bool
	// Skip lets that many requests of the kind through before the fault
	// applies.
	Skip int
	// Times is how many requests the fault applies to; 0 means all.
	Times int
}

// InternalError is Cloudinary's 500. It and the faults below are canned
// answers, as Cloudinary and the proxies before it give them.
func InternalError(op Op) Fault {
	return Fault{Op: op, Status: 500, Body: `{"error":{"message":"General Error"}}`}
}

// BadGatewayHTML is a proxy's HTML 502.
func BadGatewayHTML(op Op) Fault {
	return Fault{Op: op, Status: 502, ContentType: "text/html", Body: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>"}
}

// Unavailable is a 503 whose body is an empty JSON object.
func Unavailable(op Op) Fault { return Fault{Op: op, Status: 503, Body: `{}`} }

// Unauthorized is Cloudinary's 401 for a bad key.
func Unauthorized(op Op) Fault {
	return Fault{Op: op, Status: 401, Body: `{"error":{"message":"Unknown API key ` + Key + `"}}`}
}

// RateLimited is a 420 (Cloudinary's rate limit answer).
func RateLimited(op Op) Fault {
	return Fault{Op: op, Status: 420, Body: `{"error":{"message":"Rate Limit Exceeded"}}`}
}

// EmptyOK is a 200 with {}: no error, no asset.
func EmptyOK(op Op) Fault { return Fault{Op: op, Status: 200, Body: `{}`} }

// answerFault writes a fault's answer; the bool says whether it did.
func answerFault(w http.ResponseWriter, f *Fault) bool {
	if f != nil && f.Drop {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
		return true
	}
	if f == nil || f.Status == 0 {
		return false
	}
	ct := f.ContentType
	if ct == "" {
		ct = "application/json; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, f.Body)
	return true
}

// hold waits out a fault's delay; false when the client went away first.
func hold(r *http.Request, f *Fault) bool {
	if f == nil || f.Delay == 0 {
		return true
	}
	t := time.NewTimer(f.Delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}
