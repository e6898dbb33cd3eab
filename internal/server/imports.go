package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strconv"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/imports"
)

// importWorkbook is POST /imports/{kind}.xlsx?dryRun=true|false&format=json|xlsx:
// the workbook as the raw body or as the "file" field of a multipart form.
// The answer is the import's result as JSON (422 when a real import was
// refused for its rows, nothing written), or with format=xlsx the uploaded
// workbook with the refused cells red and an error column.
func importWorkbook(log *slog.Logger, db *sqlx.DB, st imports.Stores, gate *exportGate, kind string, maxBytes int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		q := req.URL.Query()
		for k := range q {
			if k != "dryRun" && k != "format" && k != "async" {
				writeJSONError(w, http.StatusBadRequest, "BAD_REQUEST", "unknown parameter "+strconv.Quote(k)+": an import takes dryRun, format and async")
				return
			}
		}
		async := q.Get("async") == "true"
		if q.Has("async") && !async && q.Get("async") != "false" {
			writeJSONError(w, http.StatusBadRequest, "BAD_REQUEST", "async must be true (answer at once with a job to poll) or false")
			return
		}
		dryRun, err := strconv.ParseBool(q.Get("dryRun"))
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, "BAD_REQUEST", "dryRun must be true (check and report, write nothing) or false (import)")
			return
		}
		format := q.Get("format")
		if format != "" && format != "json" && format != "xlsx" {
			writeJSONError(w, http.StatusBadRequest, "BAD_REQUEST", "format must be json or xlsx")
			return
		}
		if async && format == "xlsx" {
			writeJSONError(w, http.StatusBadRequest, "BAD_REQUEST", "an async import answers a job, not a workbook: leave format out")
			return
		}
		file, name, status, msg := uploadedFile(req, maxBytes)
		if status != 0 {
			writeJSONError(w, status, http.StatusText(status), msg)
			return
		}
		select {
		case gate.slots <- struct{}{}:
		default:
			w.Header().Set("Retry-After", exportRetryAfter)
			writeJSONError(w, http.StatusTooManyRequests, "TOO_MANY_EXPORTS",
				"other workbooks are being built or read; try again in "+exportRetryAfter+" seconds")
			return
		}
		sc := auth.FromContext(req.Context())
		if async {
			startJob(w, req, log, db, st, gate, kind, name, file, dryRun)
			return
		}
		defer func() { <-gate.slots }()
		ctx, cancel := context.WithTimeout(req.Context(), gate.timeout)
		defer cancel()
		res, err := imports.Run(ctx, db, sc, st, kind, file, imports.Options{DryRun: dryRun, FileName: name})
		var refused *imports.Refused
		var invalid *fault.InvalidInput
		switch {
		case err == nil:
		case errors.As(err, &refused):
			writeJSONError(w, http.StatusBadRequest, "WORKBOOK_REFUSED", refused.Error())
			return
		case errors.As(err, &invalid):
			writeInvalidInput(w, invalid)
			return
		case errors.Is(err, auth.ErrForbidden):
			writeJSONError(w, http.StatusForbidden, "FORBIDDEN", "this account may not import records")
			return
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			writeJSONError(w, http.StatusServiceUnavailable, "REQUEST_TIMEOUT",
				"the import took longer than "+gate.timeout.String()+" and was stopped; nothing was written; import the file in parts")
			return
		default:
			log.ErrorContext(ctx, "import failed", "kind", kind, "file", name, "error", err.Error())
			writeJSONError(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR",
				"internal error, nothing was written; quote request id "+audit.RequestFrom(ctx).ID+" when reporting it")
			return
		}
		log.InfoContext(ctx, "import", "kind", kind, "file", name, "sha256", res.FileSHA256, "dryRun", dryRun,
			"rows", res.Rows, "created", res.Created, "skipped", len(res.Skipped), "errors", len(res.Errors), "committed", res.Committed)
		if format == "xlsx" {
			var buf bytes.Buffer
			if err := imports.Annotate(file, res, imports.Limits{}, &buf); err != nil {
				log.ErrorContext(ctx, "annotate import", "error", err.Error())
				writeJSONError(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "the workbook could not be written back")
				return
			}
			w.Header().Set("Content-Type", xlsxType)
			w.Header().Set("Content-Disposition", `attachment; filename="`+annotatedName(name)+`"`)
			w.Header().Set("X-Import-Errors", strconv.Itoa(len(res.Errors)))
			w.Write(buf.Bytes())
			return
		}
		status = http.StatusOK
		if !dryRun && !res.Committed {
			status = http.StatusUnprocessableEntity
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(res)
	})
}

// startJob answers 202 with a job the caller polls (importJob) and runs
// the import after the answer, in the slot the request took, which it
// gives back when done.
func startJob(w http.ResponseWriter, req *http.Request, log *slog.Logger, db *sqlx.DB, st imports.Stores, gate *exportGate, kind, name string, file []byte, dryRun bool) {
	sc := auth.FromContext(req.Context())
	id, err := imports.StartJob(req.Context(), db, sc, kind, name, file, dryRun)
	if err != nil {
		<-gate.slots
		if errors.Is(err, auth.ErrForbidden) {
			writeJSONError(w, http.StatusForbidden, "FORBIDDEN", "this account may not import records")
			return
		}
		log.ErrorContext(req.Context(), "start import job", "error", err.Error())
		writeJSONError(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "internal error; quote request id "+audit.RequestFrom(req.Context()).ID+" when reporting it")
		return
	}
	// The job outlives the request: its context keeps the request's values
	// (who, the request id for the audit trail) but not its end.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(req.Context()), gate.timeout)
	gate.jobs.Add(1)
	go func() {
		defer gate.jobs.Done()
		defer func() { <-gate.slots }()
		defer cancel()
		res, err := imports.Run(ctx, db, sc, st, kind, file, imports.Options{DryRun: dryRun, FileName: name, Progress: imports.Reporter(ctx, db, id)})
		var refused *imports.Refused
		var invalid *fault.InvalidInput
		switch {
		case err == nil, errors.As(err, &refused), errors.As(err, &invalid):
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			err = fmt.Errorf("the import took longer than %s and was stopped; nothing was written", gate.timeout)
		default:
			log.ErrorContext(ctx, "import job failed", "job", id, "kind", kind, "error", err.Error())
			err = fmt.Errorf("internal error, nothing was written; quote request id %s when reporting it", audit.RequestFrom(ctx).ID)
		}
		log.InfoContext(ctx, "import job", "job", id, "kind", kind, "file", name, "sha256", res.FileSHA256, "dryRun", dryRun,
			"rows", res.Rows, "created", res.Created, "errors", len(res.Errors), "committed", res.Committed)
		if err := imports.FinishJob(context.WithoutCancel(ctx), db, id, res, err); err != nil {
			log.ErrorContext(ctx, "finish import job", "job", id, "error", err.Error())
		}
	}()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(map[string]string{"jobId": id,
		"poll": `query { importJob(id: "` + id + `") { state rowsDone rowsTotal error result { committed created errors { row cell message } } } }`})
}

// uploadedFile reads the workbook from a raw body or a multipart form, at
// most limit bytes; a non-zero status refuses the request.
func uploadedFile(req *http.Request, limit int64) (file []byte, name string, status int, msg string) {
	tooLarge := fmt.Sprintf("the workbook is larger than %d MB (--max-import-bytes)", limit>>20)
	if req.ContentLength > limit+1<<20 {
		return nil, "", http.StatusRequestEntityTooLarge, tooLarge
	}
	body := http.MaxBytesReader(nil, req.Body, limit+1<<20) // room for a form's own bytes
	name = "upload.xlsx"
	mediaType, params, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	var r io.Reader = body
	if mediaType == "multipart/form-data" {
		mr, err := multipartFile(body, params["boundary"])
		if err != nil {
			return nil, "", http.StatusBadRequest, err.Error()
		}
		if mr.FileName() != "" {
			name = filepath.Base(mr.FileName())
		}
		r = mr
	}
	file, err := io.ReadAll(io.LimitReader(r, limit+1))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr) || int64(len(file)) > limit:
		return nil, "", http.StatusRequestEntityTooLarge, tooLarge
	case err != nil:
		return nil, "", http.StatusBadRequest, "the workbook could not be read: " + err.Error()
	case len(file) == 0:
		return nil, "", http.StatusBadRequest, "no workbook: send it as the body or as the form field \"file\""
	}
	return file, name, 0, ""
}

// annotatedName is the file name of a workbook sent back with its errors.
func annotatedName(name string) string {
	ext := filepath.Ext(name)
	return sanitize(name[:len(name)-len(ext)]) + "-kesalahan.xlsx"
}

// sanitize keeps a file name safe inside a Content-Disposition header.
func sanitize(s string) string {
	out := []rune{}
	for _, r := range s {
		if r < 0x20 || r == '"' || r == '\\' || r > 0x7e {
			r = '_'
		}
		out = append(out, r)
	}
	if len(out) == 0 || len(out) > 100 {
		return "impor"
	}
	return string(out)
}

// multipartFile finds the form's "file" part.
func multipartFile(body io.Reader, boundary string) (*multipart.Part, error) {
	if boundary == "" {
		return nil, errors.New("a multipart form without a boundary")
	}
	mr := multipart.NewReader(body, boundary)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, errors.New("the form has no field \"file\" holding the workbook")
		}
		if err != nil {
			return nil, fmt.Errorf("the form cannot be read: %w", err)
		}
		if part.FormName() == "file" {
			return part, nil
		}
	}
}
