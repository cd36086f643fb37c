package transport

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

const testSDL = `
scalar Upload
type Query { ok: Boolean }
type Mutation {
  upload(file: Upload!): String!
  uploads(files: [Upload!]!): [String!]!
}
type Subscription { ticks: Int }
`

var testSchemaAST = gqlparser.MustLoadSchema(&ast.Source{Input: testSDL})

// uploadHook runs inside the resolver for every Upload it receives, before
// the Upload is described. Tests use it to look at the spool directory,
// call MoveTo, or panic.
type uploadHook func(ctx context.Context, up graphql.Upload)

// newTestSchema returns a hand-made executable schema: Query.ok answers
// true; Mutation.upload / uploads answer describe(upload) for each file
// (or, when light, only "filename:size" without reading the content).
func newTestSchema(hook uploadHook, light bool) graphql.ExecutableSchema {
	resolveUpload := func(ctx context.Context, hook uploadHook, v any) string {
		if up, ok := v.(graphql.Upload); ok && light {
			return fmt.Sprintf("%s:%d", up.Filename, up.Size)
		}
		return resolveUpload(ctx, hook, v)
	}
	return &graphql.ExecutableSchemaMock{
		SchemaFunc: func() *ast.Schema { return testSchemaAST },
		ComplexityFunc: func(ctx context.Context, typeName, fieldName string, childComplexity int, args map[string]any) (int, bool) {
			return 1, true
		},
		ExecFunc: func(ctx context.Context) graphql.ResponseHandler {
			opCtx := graphql.GetOperationContext(ctx)
			var typeName string
			switch opCtx.Operation.Operation {
			case ast.Query:
				typeName = "Query"
			case ast.Mutation:
				typeName = "Mutation"
			default:
				return graphql.OneShot(graphql.ErrorResponse(ctx, "unsupported operation"))
			}
			fields := graphql.CollectFields(opCtx, opCtx.Operation.SelectionSet, []string{typeName})
			var buf bytes.Buffer
			buf.WriteByte('{')
			for i, f := range fields {
				if i > 0 {
					buf.WriteByte(',')
				}
				writeJSONValue(&buf, f.Alias)
				buf.WriteByte(':')
				args := f.ArgumentMap(opCtx.Variables)
				switch f.Name {
				case "__typename":
					writeJSONValue(&buf, typeName)
				case "ok":
					buf.WriteString("true")
				case "upload":
					writeJSONValue(&buf, resolveUpload(ctx, hook, args["file"]))
				case "uploads":
					list, _ := args["files"].([]any)
					out := make([]string, 0, len(list))
					for _, v := range list {
						out = append(out, resolveUpload(ctx, hook, v))
					}
					writeJSONValue(&buf, out)
				default:
					buf.WriteString("null")
				}
			}
			buf.WriteByte('}')
			return graphql.OneShot(&graphql.Response{Data: buf.Bytes()})
		},
	}
}

func writeJSONValue(buf *bytes.Buffer, v any) {
	b, _ := json.Marshal(v)
	buf.Write(b)
}

// resolveUpload describes an Upload as "filename:size:sha256hex:first8",
// reading the whole content through Upload.File. It says "NOT-AN-UPLOAD"
// for other values and "BAD-..." when something about the *File view is
// inconsistent.
func resolveUpload(ctx context.Context, hook uploadHook, v any) string {
	up, ok := v.(graphql.Upload)
	if !ok {
		return "NOT-AN-UPLOAD"
	}
	if hook != nil {
		hook(ctx, up)
	}
	return describe(up)
}

func describe(up graphql.Upload) string {
	if _, err := up.File.Seek(0, io.SeekStart); err != nil {
		return "BAD-SEEK"
	}
	data, err := io.ReadAll(up.File)
	if err != nil {
		return "BAD-READ:" + err.Error()
	}
	sum := sha256.Sum256(data)
	f, ok := up.File.(*File)
	if !ok {
		return "BAD-NOT-FILE"
	}
	if f.SHA256() != sum || f.Size() != int64(len(data)) || up.Size != int64(len(data)) {
		return "BAD-DIGEST-OR-SIZE"
	}
	first := data
	if len(first) > 8 {
		first = first[:8]
	}
	return fmt.Sprintf("%s:%d:%x:%s", up.Filename, len(data), sum, first)
}

// want is the description the resolver gives for a file.
func want(filename string, content []byte) string {
	first := content
	if len(first) > 8 {
		first = first[:8]
	}
	return fmt.Sprintf("%s:%d:%x:%s", filename, len(content), sha256.Sum256(content), first)
}
