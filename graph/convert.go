package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/mediagraph/mediagraph/internal/media"
)

func toUpload(f graphql.Upload) media.Upload {
	return media.Upload{Filename: f.Filename, Size: f.Size, Content: f.File}
}

// toTransform maps the schema's TransformInput onto the domain's, applying the
// schema's defaults, and checks its numbers.
func toTransform(in *TransformInput) (*media.Transform, error) {
	if in == nil {
		return nil, nil
	}
	t := media.Transform{Crop: media.CropFill, Gravity: media.GravityAuto, Format: media.FormatAuto}
	if in.Width != nil {
		t.Width = *in.Width
		if t.Width < 1 {
			return nil, media.Errorf(media.CodeBadUserInput, "Transform width must be at least 1.")
		}
	}
	if in.Height != nil {
		t.Height = *in.Height
		if t.Height < 1 {
			return nil, media.Errorf(media.CodeBadUserInput, "Transform height must be at least 1.")
		}
	}
	if in.Crop != nil {
		t.Crop = media.CropMode(*in.Crop)
	}
	if in.Gravity != nil {
		t.Gravity = media.Gravity(*in.Gravity)
	}
	if in.Format != nil {
		t.Format = media.Format(*in.Format)
	}
	if in.Quality != nil {
		t.Quality = *in.Quality
		if t.Quality < 1 {
			return nil, media.Errorf(media.CodeBadUserInput, "Transform quality must be between 1 and 100.")
		}
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// argumentGiven reports whether the field's argument was written in the
// query (a literal, null included) or given through a variable the request
// supplied: the schema cannot tell an omitted argument from an explicit null.
func argumentGiven(ctx context.Context, name string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return false
	}
	arg := fc.Field.Arguments.ForName(name)
	if arg == nil || arg.Value == nil {
		return false
	}
	if arg.Value.Kind != ast.Variable {
		return true
	}
	_, ok := graphql.GetOperationContext(ctx).Variables[arg.Value.Raw]
	return ok
}
