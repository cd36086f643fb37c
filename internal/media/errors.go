package media

import (
	"errors"
	"fmt"
)

// Code is an error's machine-readable class; the values are the contract's
// extensions.code strings (API.md).
type Code string

// The error codes of the public contract.
const (
	CodeUnauthenticated    Code = "UNAUTHENTICATED"
	CodeForbidden          Code = "FORBIDDEN"
	CodeNotFound           Code = "NOT_FOUND"
	CodeBadUserInput       Code = "BAD_USER_INPUT"
	CodeInvalidImage       Code = "INVALID_IMAGE"
	CodeFileTooLarge       Code = "FILE_TOO_LARGE"
	CodeTooManyFiles       Code = "TOO_MANY_FILES"
	CodeTooManyPixels      Code = "TOO_MANY_PIXELS"
	CodeStorageUnavailable Code = "STORAGE_UNAVAILABLE"
	CodeInternal           Code = "INTERNAL_SERVER_ERROR"
)

// Error is an error a client may see: its Message is written for the client
// and says nothing internal. Anything that is not an *Error reaches clients
// as INTERNAL_SERVER_ERROR with a generic message, its detail only logged.
type Error struct {
	Code    Code
	Message string
	// Err is the cause, for logs; never shown to clients.
	Err error
	// Extensions are shown to clients beside the code: the limit an
	// upload broke, so that an app can word its message without parsing ours.
	Extensions map[string]any
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted client-facing message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the contract code of err: its *Error's code, or
// INTERNAL_SERVER_ERROR for anything else.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// storageUnavailable wraps a media store failure.
func storageUnavailable(err error) *Error {
	return &Error{Code: CodeStorageUnavailable, Message: "The media store is unavailable; nothing was kept. Try again.", Err: err}
}

// errNotFound is what mutations answer for an id that names nothing.
func errNotFound(what string) *Error {
	return Errorf(CodeNotFound, "No %s with that id.", what)
}

// ErrUnauthenticated is returned where an operation needs credentials.
var ErrUnauthenticated = &Error{Code: CodeUnauthenticated, Message: "Sign in: this operation needs a valid bearer token."}
