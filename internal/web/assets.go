package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// ErrNoAsset reports a static file name with no embedded file.
var ErrNoAsset = errors.New("web: no such static file")

//go:embed static
var staticFS embed.FS

// asset is one embedded static file. Its URL carries a hash of its
// content, so a browser may keep it for a year: a changed file has a new
// URL.
type asset struct {
	body   []byte
	ctype  string
	hashed string // "style.1a2b3c4d5e6f.css"
	etag   string
}

// contentTypes are the static file types we serve. A table of our own
// rather than mime.TypeByExtension, which reads the host's /etc/mime.types.
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".js":    "text/javascript; charset=utf-8",
}

type assets struct {
	byName   map[string]*asset // "style.css"
	byHashed map[string]*asset // "style.1a2b3c4d5e6f.css"
}

func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		ext := path.Ext(name)
		ctype := contentTypes[ext]
		if ctype == "" {
			return fmt.Errorf("web: static/%s: unknown content type", name)
		}
		sum := sha256.Sum256(body)
		h := hex.EncodeToString(sum[:])
		as := &asset{
			body:   body,
			ctype:  ctype,
			hashed: strings.TrimSuffix(name, ext) + "." + h[:12] + ext,
			etag:   `"` + h[:32] + `"`,
		}
		a.byName[name] = as
		a.byHashed[as.hashed] = as
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	return a, nil
}

// url returns the path a page links the named file by.
func (a *assets) url(name string) (string, error) {
	as, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrNoAsset, name)
	}
	return "/static/" + as.hashed, nil
}

// serveAsset answers GET /static/{file}. The current hashed name is cached
// for a year. A name with another hash (a page from a node running another
// version, during a rolling deploy) still gets the current file, but
// revalidated each time, so the page is styled and nothing stale sticks.
func (s *Site) serveAsset(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	as, current := s.assets.byHashed[file]
	if !current {
		as = s.assets.byName[unhashed(file)]
		if as == nil {
			s.NotFound(w, r)
			return
		}
	}
	h := w.Header()
	h.Set("Content-Type", as.ctype)
	h.Set("ETag", as.etag)
	if current {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(as.body))
}

// unhashed turns "style.0123abcd4567.css" back into "style.css".
func unhashed(file string) string {
	ext := path.Ext(file)
	base := strings.TrimSuffix(file, ext)
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		return base[:i] + ext
	}
	return file
}
