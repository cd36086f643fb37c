// Package transport provides hardened HTTP transports for a gqlgen server:
// [POST] (application/json, single or batched operations), [GET] (queries in
// the URL) and [MultipartForm] (the GraphQL multipart request spec used by
// apollo-upload-client).
//
// All three negotiate the response media type from the Accept header as the
// GraphQL-over-HTTP spec describes: application/graphql-response+json when the
// client prefers it (Apollo Client 4), application/json otherwise. Every
// response body is a GraphQL response, every response carries the negotiated
// Content-Type and "Cache-Control: no-store", and errors produced by the
// transport itself carry extensions.code (BAD_REQUEST, PAYLOAD_TOO_LARGE,
// FILE_TOO_LARGE, TOO_MANY_FILES, METHOD_NOT_ALLOWED) and go through the
// server's error presenter.
//
// Status codes:
//
//	                                      application/json   application/graphql-response+json
//	malformed request (bad JSON, multipart)      400                 400
//	body or field too large                      413                 413
//	request error before execution               200                 400
//	  (parse/validation, FILE_TOO_LARGE, TOO_MANY_FILES)
//	executed operation                           200                 200
//	mutation over GET                            405 (Allow: POST)   405
package transport
