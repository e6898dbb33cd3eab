package postgres

import "syscall"

// serverProcAttr starts the cluster's server in a process group of its own,
// sent a fast-shutdown signal by the kernel if this process dies first.
func serverProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGINT, Setpgid: true}
}
