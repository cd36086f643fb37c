// Package graph is mediagraph's GraphQL layer: the schema, thin resolvers that
// translate arguments and call the media service, the error presenter, the
// per-request dataloaders and the HTTP handler. It is the only package that
// knows gqlgen's resolver types.
package graph

//go:generate go tool gqlgen generate
//go:generate go run ./internal/inlineedges generated.go

import "github.com/mediagraph/mediagraph/internal/media"

// Resolver holds the resolvers' dependencies. It is never regenerated.
type Resolver struct {
	Service *media.Service
}
