package imports

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// JobState is where an import job is.
type JobState string

// The states of a job. Lost is a job that stopped reporting while running:
// the server running it went away; nothing it did was kept.
const (
	Running JobState = "RUNNING"
	Done    JobState = "DONE"
	Failed  JobState = "FAILED"
	Lost    JobState = "LOST"
)

// lostAfter is how long a running job may go without reporting before it
// counts as lost; a running import reports every thousand rows, and at
// least every few seconds while it reads.
const lostAfter = 2 * time.Minute

// Job is an import that runs after its request was answered.
type Job struct {
	ID         string    `db:"id"`
	Kind       string    `db:"kind"`
	FileName   string    `db:"file_name"`
	FileSHA256 string    `db:"file_sha256"`
	DryRun     bool      `db:"dry_run"`
	StartedBy  string    `db:"started_by"`
	State      JobState  `db:"state"`
	RowsDone   int       `db:"rows_done"`
	RowsTotal  int       `db:"rows_total"`
	RawResult  []byte    `db:"result"`
	Error      *string   `db:"error"`
	CreatedAt  time.Time `db:"created_at"`
	UpdatedAt  time.Time `db:"updated_at"`
}

// Result is what the job's import did, once it is done.
func (j Job) Result() (*Result, error) {
	if len(j.RawResult) == 0 {
		return nil, nil
	}
	var r Result
	if err := json.Unmarshal(j.RawResult, &r); err != nil {
		return nil, fmt.Errorf("read the result of import job %s: %w", j.ID, err)
	}
	return &r, nil
}

// StartJob records a job for the caller's import of file.
func StartJob(ctx context.Context, db *sqlx.DB, sc auth.Scope, kind, fileName string, file []byte, dryRun bool) (string, error) {
	if err := sc.CanWrite(); err != nil {
		return "", err
	}
	var id string
	err := db.GetContext(ctx, &id, `INSERT INTO import_jobs (kind, file_name, file_sha256, dry_run, started_by)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, kind, cut(fileName, 255), sha256Hex(file), dryRun, sc.Principal().Name())
	if err != nil {
		return "", fmt.Errorf("start import job: %w", err)
	}
	return id, nil
}

// Reporter returns the Progress of job id: it records rows done at most
// once a second.
func Reporter(ctx context.Context, db *sqlx.DB, id string) func(done, total int) {
	var last time.Time
	return func(done, total int) {
		if time.Since(last) < time.Second && done < total {
			return
		}
		last = time.Now()
		// Progress is advice: a failed update leaves the last one standing.
		_, _ = db.ExecContext(ctx, `UPDATE import_jobs SET rows_done = $2, rows_total = $3, updated_at = now() WHERE id = $1`, id, done, total)
	}
}

// FinishJob records how job id ended: its result, or why it failed.
func FinishJob(ctx context.Context, db *sqlx.DB, id string, res Result, failure error) error {
	state, result, reason := Done, any(nil), any(nil)
	if failure != nil {
		state, reason = Failed, failure.Error()
	} else {
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		result = string(b)
	}
	_, err := db.ExecContext(ctx, `UPDATE import_jobs SET state = $2, result = $3, error = $4, updated_at = now() WHERE id = $1`,
		id, state, result, reason)
	if err != nil {
		return fmt.Errorf("finish import job %s: %w", id, err)
	}
	return nil
}

// GetJob returns job id to whoever started it, or to an admin.
func GetJob(ctx context.Context, db sqlx.QueryerContext, sc auth.Scope, id string) (Job, error) {
	if !postgres.IsID(id) || !sc.Valid() {
		return Job{}, fault.ErrNotFound
	}
	var j Job
	err := sqlx.GetContext(ctx, db, &j, `SELECT id, kind, file_name, file_sha256, dry_run, started_by,
			CASE WHEN state = 'RUNNING' AND updated_at < now() - $3::interval THEN 'LOST' ELSE state END AS state,
			rows_done, rows_total, result, error, created_at, updated_at
		FROM import_jobs WHERE id = $1 AND ($2 OR started_by = $4)`,
		id, sc.Principal().Role == auth.Admin, fmt.Sprintf("%d seconds", int(lostAfter.Seconds())), sc.Principal().Name())
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fault.ErrNotFound
	}
	if err != nil {
		return Job{}, fmt.Errorf("get import job %s: %w", id, err)
	}
	return j, nil
}

// JobStore reads import jobs.
type JobStore struct{ db *sqlx.DB }

// NewJobStore returns a JobStore on db.
func NewJobStore(db *sqlx.DB) *JobStore { return &JobStore{db: db} }

// Job returns job id to whoever started it, or to an admin.
func (s *JobStore) Job(ctx context.Context, sc auth.Scope, id string) (Job, error) {
	return GetJob(ctx, s.db, sc, id)
}
