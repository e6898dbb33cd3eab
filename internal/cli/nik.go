package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/nik"
	"github.com/sinergi-id/sinergi/internal/request"
)

// nikConfig says where the key sealing applicants' NIKs comes from.
type nikConfig struct {
	secret, file string
}

func (c *nikConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.secret, "nik-key", "", "the secret sealing applicants' NIKs, base64 of 32 bytes (make one: sinergi nik new-key)")
	fs.StringVar(&c.file, "nik-key-file", "", "a file holding the NIK secret, instead of -nik-key")
}

// demoKeyFile is where a demo run without a configured key keeps the one
// it made: inside the private cluster's data folder, beside the data whose
// invented NIKs it seals.
const demoKeyFile = "sinergi-nik.key"

// load returns the configured key. Without one, a demo run on the private
// cluster makes (or reuses) a key in the cluster's folder; anything else
// refuses to start, since NIKs could be neither recorded nor shown.
func (c nikConfig) load(log *slog.Logger, demo bool, clusterDir string) (*nik.Key, error) {
	secret := c.secret
	if c.file != "" {
		b, err := os.ReadFile(c.file)
		if err != nil {
			return nil, fmt.Errorf("read NIK key: %w", err)
		}
		secret = string(b)
	}
	if secret == "" {
		if !demo || clusterDir == "" {
			return nil, errors.New("no NIK key: set SINERGI_NIK_KEY or -nik-key-file to a secret made with \"sinergi nik new-key\" " +
				"(applicants' identity numbers are sealed with it); only a --demo run on the private cluster makes its own")
		}
		path := filepath.Join(clusterDir, demoKeyFile)
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			b = []byte(nik.NewSecret())
			err = os.WriteFile(path, b, 0o600)
			log.Warn("demo: made a NIK key for the demo data; set SINERGI_NIK_KEY for real data", "file", path)
		}
		if err != nil {
			return nil, fmt.Errorf("demo NIK key: %w", err)
		}
		secret = string(b)
	}
	key, err := nik.ParseKey(secret)
	if err != nil {
		return nil, err
	}
	return key, nil
}

// nikCommand: new-key prints a fresh secret; rotate re-seals every stored
// NIK under a new key.
func nikCommand(ctx context.Context, args []string, log *slog.Logger, stdout, stderr io.Writer) error {
	const help = "usage: sinergi nik new-key | sinergi nik rotate -new-key-file FILE [flags]"
	if len(args) == 0 {
		return errors.New(help)
	}
	switch args[0] {
	case "new-key":
		fmt.Fprintln(stdout, nik.NewSecret())
		return nil
	case "rotate":
	default:
		return errors.New(help)
	}
	fs := flag.NewFlagSet("sinergi nik rotate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dbc dbConfig
	dbc.register(fs)
	var old nikConfig
	old.register(fs)
	newFile := fs.String("new-key-file", "", "a file holding the new secret (make one: sinergi nik new-key)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *newFile == "" {
		return errors.New("-new-key-file is required")
	}
	b, err := os.ReadFile(*newFile)
	if err != nil {
		return fmt.Errorf("read new NIK key: %w", err)
	}
	next, err := nik.ParseKey(strings.TrimSpace(string(b)))
	if err != nil {
		return err
	}
	db, closeDB, err := dbc.open(ctx, log)
	if err != nil {
		return err
	}
	defer closeDB()
	current, err := old.load(log, false, "")
	if err != nil {
		return err
	}
	n, err := request.RotateKey(ctx, db, auth.System("cli:nik-rotate"), current, next)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-sealed %d NIKs under key %s; start the server with the new key now\n", n, next.ID())
	return nil
}

// deadlinesFlag reads -request-deadlines: STATE=DAYS pairs, comma
// separated, e.g. SUBMITTED=7,VERIFIED=14,FORWARDED=30,APPROVED=60.
type deadlinesFlag request.Deadlines

func (d deadlinesFlag) String() string {
	parts := make([]string, 0, len(request.Open))
	for _, st := range request.Open {
		parts = append(parts, fmt.Sprintf("%s=%d", st, d[st]))
	}
	return strings.Join(parts, ",")
}

func (d deadlinesFlag) Set(v string) error {
	for _, pair := range strings.Split(v, ",") {
		name, days, ok := strings.Cut(strings.TrimSpace(pair), "=")
		n, err := strconv.Atoi(days)
		st := request.State(strings.ToUpper(name))
		if !ok || err != nil || n < 1 || n > 3650 || !slices.Contains(request.Open, st) {
			return fmt.Errorf("%q: want STATE=DAYS (1–3650) for a state among %v", pair, request.Open)
		}
		d[st] = n
	}
	return nil
}
