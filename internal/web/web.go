// Package web serves the pages the server carries in its binary — GraphiQL
// and the council dashboard — with copies of GraphiQL, React and Chart.js
// vendored at pinned versions (refresh-vendored.sh), so that they load in
// an office with no connection to the outside, and nothing is asked of
// another server.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed graphiql dashboard
var files embed.FS

// csp lets a page load and ask only this server: no script, style, font or
// request goes elsewhere, whatever a vendored file contains. GraphiQL and
// Chart.js set inline styles; GraphiQL's fonts and icons are data: URLs.
const csp = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; " +
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// GraphiQL serves the GraphiQL page.
func GraphiQL() http.Handler { return page("graphiql") }

// Dashboard serves the council dashboard.
func Dashboard() http.Handler { return page("dashboard") }

// Assets serves the files of the page in folder dir under /dir/.
func Assets(dir string) http.Handler {
	sub, err := fs.Sub(files, dir)
	if err != nil {
		panic(err) // the embedded folders are fixed at build time
	}
	prefix := "/" + dir + "/"
	server := http.StripPrefix(prefix, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		name := strings.TrimPrefix(req.URL.Path, prefix)
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

// page serves the index.html of folder dir.
func page(dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		page, err := files.ReadFile(dir + "/index.html")
		if err != nil {
			http.Error(w, dir+" is missing from this build", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", csp)
		h.Set("Cache-Control", "no-cache")
		w.Write(page)
	})
}
