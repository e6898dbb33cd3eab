package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sinergi-id/sinergi/graph"
	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/export"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/permit"
	"github.com/sinergi-id/sinergi/internal/request"
)

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// exportGate bounds the workbooks built at once: each holds a database
// connection and CPU for seconds to minutes, so beyond the bound a request
// is told to come back (429 with Retry-After) rather than slowing everyone.
type exportGate struct {
	slots   chan struct{}
	timeout time.Duration
	jobs    *sync.WaitGroup // import jobs running after their answer
}

func newExportGate(cfg Config) *exportGate {
	jobs := cfg.ImportJobs
	if jobs == nil {
		jobs = new(sync.WaitGroup)
	}
	return &exportGate{slots: make(chan struct{}, max(1, cfg.MaxExports)), timeout: cfg.ExportTimeout, jobs: jobs}
}

// exportRetryAfter is what a refused export is told to wait, in seconds.
const exportRetryAfter = "10"

// workbook answers a request for the workbook kind: write builds the file
// into w, and a refusal or failure before its first byte becomes a JSON
// error with the right status, never a half-written file. The download is
// named for what it holds (export.FileName). At most the gate's number of
// workbooks are built at once, each within the gate's deadline.
func workbook(log *slog.Logger, orgs *organization.Store, gate *exportGate, kind string, write func(ctx context.Context, sc auth.Scope, q url.Values, w io.Writer) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		select {
		case gate.slots <- struct{}{}:
			defer func() { <-gate.slots }()
		default:
			w.Header().Set("Retry-After", exportRetryAfter)
			writeJSONError(w, http.StatusTooManyRequests, "TOO_MANY_EXPORTS",
				"other workbooks are being built; try again in "+exportRetryAfter+" seconds")
			return
		}
		ctx, cancel := context.WithTimeout(req.Context(), gate.timeout)
		defer cancel()
		req = req.WithContext(ctx)
		sc := auth.FromContext(req.Context())
		filename := export.FileName(kind, req.URL.Query(), func(id string) string {
			if o, err := orgs.Organization(req.Context(), sc, id); err == nil {
				return o.Code
			}
			return id
		})
		out := &firstWrite{w: w, filename: filename}
		err := write(req.Context(), auth.FromContext(req.Context()), req.URL.Query(), out)
		if err == nil {
			return
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && !out.started {
			log.WarnContext(req.Context(), "workbook took too long", "file", filename, "deadline", gate.timeout.String())
			writeJSONError(w, http.StatusServiceUnavailable, "REQUEST_TIMEOUT",
				"the workbook took longer than "+gate.timeout.String()+" to build and was stopped; ask for less (a shorter period, one council)")
			return
		}
		if errors.Is(req.Context().Err(), context.Canceled) {
			// The client went away: not a fault of the server.
			log.InfoContext(req.Context(), "workbook cancelled by the client", "file", filename)
			return
		}
		if out.started {
			log.ErrorContext(req.Context(), "workbook cut short", "file", filename, "error", err.Error())
			return
		}
		var invalid *fault.InvalidInput
		switch {
		case errors.As(err, &invalid):
			writeInvalidInput(w, invalid)
		case errors.Is(err, auth.ErrForbidden):
			writeJSONError(w, http.StatusForbidden, "FORBIDDEN", "this account may not download "+filename)
		case errors.Is(err, fault.ErrNotFound):
			writeJSONError(w, http.StatusNotFound, "NOT_FOUND", "not found")
		default:
			log.ErrorContext(req.Context(), "workbook failed", "file", filename, "error", err.Error())
			writeJSONError(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR",
				"internal error; quote request id "+audit.RequestFrom(req.Context()).ID+" when reporting it")
		}
	})
}

// firstWrite sets the workbook headers when the first byte goes out.
type firstWrite struct {
	w        http.ResponseWriter
	filename string
	started  bool
}

func (f *firstWrite) Write(p []byte) (int, error) {
	if !f.started {
		f.started = true
		f.w.Header().Set("Content-Type", xlsxType)
		f.w.Header().Set("Content-Disposition", `attachment; filename="`+f.filename+`"`)
		f.w.WriteHeader(http.StatusOK)
	}
	return f.w.Write(p)
}

// auditLogWorkbook is GET /exports/audit-log.xlsx?from=&to=&entity=&actor=&lang=.
func auditLogWorkbook(store *audit.Store) func(context.Context, auth.Scope, url.Values, io.Writer) error {
	return func(ctx context.Context, sc auth.Scope, q url.Values, w io.Writer) error {
		f, lang, err := export.AuditQuery(q)
		if err != nil {
			return err
		}
		return export.AuditLog(ctx, sc, store, f, lang, time.Now(), w)
	}
}

// donationWorkbook is GET /exports/donations.xlsx?from=&to=&org=&source=&partner=&kind=&lang=.
func donationWorkbook(orgs *organization.Store, donations *donation.Store) func(context.Context, auth.Scope, url.Values, io.Writer) error {
	return func(ctx context.Context, sc auth.Scope, q url.Values, w io.Writer) error {
		f, lang, err := export.DonationQuery(ctx, sc, orgs, q)
		if err != nil {
			return err
		}
		return export.Donations(ctx, sc, donations, f, lang, time.Now(), w)
	}
}

// boxCollectionWorkbook is GET /exports/box-collections.xlsx?from=&to=&org=&box=&host=&regency=&lang=.
func boxCollectionWorkbook(orgs *organization.Store, boxes *box.Store) func(context.Context, auth.Scope, url.Values, io.Writer) error {
	return func(ctx context.Context, sc auth.Scope, q url.Values, w io.Writer) error {
		f, lang, err := export.BoxCollectionQuery(ctx, sc, orgs, q)
		if err != nil {
			return err
		}
		return export.BoxCollections(ctx, sc, boxes, f, lang, time.Now(), w)
	}
}

// aidOutputWorkbook is GET /exports/aid-outputs.xlsx?from=&to=&org=&type=&group=&pmks=&regency=&lang=.
func aidOutputWorkbook(orgs *organization.Store, outputs *aid.Store) func(context.Context, auth.Scope, url.Values, io.Writer) error {
	return func(ctx context.Context, sc auth.Scope, q url.Values, w io.Writer) error {
		f, lang, err := export.AidOutputQuery(ctx, sc, orgs, outputs, q)
		if err != nil {
			return err
		}
		return export.AidOutputs(ctx, sc, outputs, f, lang, time.Now(), w)
	}
}

// statementWorkbook is GET /exports/partner-statement.xlsx?partner=&from=&to=&year=&lang=.
func statementWorkbook(st export.StatementStores) func(context.Context, auth.Scope, url.Values, io.Writer) error {
	return func(ctx context.Context, sc auth.Scope, q url.Values, w io.Writer) error {
		r, lang, err := export.StatementQuery(ctx, sc, st, q)
		if err != nil {
			return err
		}
		return export.PartnerStatement(ctx, sc, st, r, lang, time.Now(), w)
	}
}

// rakerWorkbook is GET /exports/raker.xlsx?org=&from=&to=&year=&lang=.
func rakerWorkbook(st export.RakerStores) func(context.Context, auth.Scope, url.Values, io.Writer) error {
	return func(ctx context.Context, sc auth.Scope, q url.Values, w io.Writer) error {
		s, lang, err := export.RakerQuery(ctx, sc, st.Organizations, q)
		if err != nil {
			return err
		}
		return export.Raker(ctx, sc, st, s, lang, time.Now(), w)
	}
}

// receiptPDF is GET /receipts/{id}.pdf: a donation's receipt, to whoever
// may see the donation (a partner: its own). Another's receipt is as
// absent as one that does not exist.
func receiptPDF(log *slog.Logger, r *graph.Resolver) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx, sc := req.Context(), auth.FromContext(req.Context())
		id, ok := strings.CutSuffix(req.PathValue("file"), ".pdf")
		if !ok {
			writeJSONError(w, http.StatusNotFound, "NOT_FOUND", "receipts are at /receipts/{id}.pdf")
			return
		}
		d, err := receiptData(ctx, sc, r, id)
		if errors.Is(err, fault.ErrNotFound) {
			writeJSONError(w, http.StatusNotFound, "NOT_FOUND", "no such receipt")
			return
		}
		var buf bytes.Buffer
		if err == nil {
			err = export.ReceiptPDF(d, time.Now(), &buf)
		}
		if err != nil {
			log.ErrorContext(ctx, "receipt failed", "receipt", id, "error", err.Error())
			writeJSONError(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR",
				"internal error; quote request id "+audit.RequestFrom(ctx).ID+" when reporting it")
			return
		}
		name := strings.NewReplacer("/", "-", `"`, "").Replace(d.Receipt.Number())
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="tanda-terima-`+name+`.pdf"`)
		w.Write(buf.Bytes())
	})
}

// receiptData reads what receipt id prints, within sc.
func receiptData(ctx context.Context, sc auth.Scope, r *graph.Resolver, id string) (export.ReceiptData, error) {
	var d export.ReceiptData
	var err error
	if d.Receipt, err = r.ReceiptStore.Receipt(ctx, sc, id); err != nil {
		return d, err
	}
	if d.Donation, err = r.DonationStore.Donation(ctx, sc, d.Receipt.DonationID); err != nil {
		return d, err
	}
	if d.Items, err = r.DonationStore.ItemsOf(ctx, sc, []string{d.Donation.ID}); err != nil {
		return d, err
	}
	if d.Receiver, err = r.OrganizationStore.Organization(ctx, sc, d.Donation.OrganizationID); err != nil {
		return d, err
	}
	if d.Donation.PartnerID != nil {
		p, err := r.PartnerStore.Partner(ctx, sc, *d.Donation.PartnerID)
		if err != nil {
			return d, err
		}
		d.Giver = &p
	}
	return d, nil
}

// aidRequestWorkbook is GET /exports/aid-requests.xlsx?from=&to=&org=&state=&pmks=&lang=.
func aidRequestWorkbook(orgs *organization.Store, requests *request.Store) func(context.Context, auth.Scope, url.Values, io.Writer) error {
	return func(ctx context.Context, sc auth.Scope, q url.Values, w io.Writer) error {
		f, lang, err := export.AidRequestQuery(ctx, sc, orgs, q)
		if err != nil {
			return err
		}
		return export.AidRequests(ctx, sc, requests, f, lang, time.Now(), w)
	}
}

// permitReportWorkbook is GET /exports/pub-report.xlsx?permit=&lang=: a
// permit's accountability report (a partner account's own version).
func permitReportWorkbook(permits *permit.Store) func(context.Context, auth.Scope, url.Values, io.Writer) error {
	return func(ctx context.Context, sc auth.Scope, q url.Values, w io.Writer) error {
		ref, lang, err := export.PermitReportQuery(q)
		if err != nil {
			return err
		}
		return export.PermitReport(ctx, sc, permits, ref, lang, time.Now(), w)
	}
}
