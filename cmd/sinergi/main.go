// Command sinergi is the Sinergi server and its tools: serve, migrate, demo,
// version. Run "sinergi help" for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // council time zones work on machines without a zoneinfo database

	"github.com/sinergi-id/sinergi/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
