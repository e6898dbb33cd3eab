// Package web serves the pages the server carries in its binary: GraphiQL,
// from copies of GraphiQL and React vendored at pinned versions
// (refresh-graphiql.sh), so that the page loads in an office with no
// connection to the outside, and nothing is asked of another server.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed graphiql
var files embed.FS

// csp lets a page load and ask only this server: no script, style, font or
// request goes elsewhere, whatever a vendored file contains. GraphiQL sets
// inline styles and its fonts and icons are data: URLs.
const csp = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; " +
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// GraphiQL serves the GraphiQL page.
func GraphiQL() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		page, err := files.ReadFile("graphiql/index.html")
		if err != nil {
			http.Error(w, "GraphiQL is missing from this build", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", csp)
		h.Set("Cache-Control", "no-cache")
		w.Write(page)
	})
}

// Assets serves GraphiQL's scripts and styles under /graphiql/.
func Assets() http.Handler {
	sub, err := fs.Sub(files, "graphiql")
	if err != nil {
		panic(err) // the embedded folder is fixed at build time
	}
	server := http.StripPrefix("/graphiql/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		name := strings.TrimPrefix(req.URL.Path, "/graphiql/")
		if name == "" || strings.HasSuffix(name, "/") || name == "index.html" {
			http.NotFound(w, req)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "public, max-age=3600")
		server.ServeHTTP(w, req)
	})
}
