package data

import (
	"context"
	"errors"
	"io"

	v1 "clouddrive/api/storage/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/app/storage/internal/conf"
	"clouddrive/app/storage/internal/thumb"
)

// Thumbnailer is biz's port onto the renderer (Go's image decoders,
// ffmpeg, pdftoppm): it turns the renderer's refusals into NO_THUMBNAIL
// with the reason.
type Thumbnailer struct {
	r *thumb.Renderer
}

var _ biz.Thumbnailer = (*Thumbnailer)(nil)

// NewThumbnailer builds the renderer with the configured bounds.
func NewThumbnailer(c *conf.Thumbnail) *Thumbnailer {
	return &Thumbnailer{r: thumb.NewRenderer(thumb.Options{MaxPixels: c.GetMaxPixels(), MaxPDFBytes: c.GetMaxPdfBytes(),
		Timeout: c.GetTimeout().AsDuration(), Concurrency: int(c.GetConcurrency())})}
}

// Can implements biz.Thumbnailer.
func (t *Thumbnailer) Can(mime, name string) bool { return t.r.Supports(thumb.KindOf(mime, name)) }

// Render implements biz.Thumbnailer.
func (t *Thumbnailer) Render(ctx context.Context, mime, name string, src io.ReadSeeker, size int64, edge int) ([]byte, error) {
	b, err := t.r.Render(ctx, thumb.KindOf(mime, name), src, size, edge)
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, thumb.ErrTooLarge):
		return nil, v1.ErrorNoThumbnail("no thumbnail for %q: %s", name, err)
	case errors.Is(err, thumb.ErrTimeout):
		// A busy machine, not the file: worth asking again later.
		return nil, v1.ErrorNoThumbnail("no thumbnail for %q: %s", name, thumb.ErrTimeout).
			WithMetadata(map[string]string{biz.ThumbTransient: "true"})
	}
	// The tools' own words stay out of the answer: they name local paths.
	for _, refusal := range []error{thumb.ErrUnsupported, thumb.ErrMalformed, thumb.ErrNoTool} {
		if errors.Is(err, refusal) {
			return nil, v1.ErrorNoThumbnail("no thumbnail for %q: %s", name, refusal)
		}
	}
	return nil, err
}
