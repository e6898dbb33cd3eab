//go:build !linux

package postgres

import "syscall"

// serverProcAttr starts the cluster's server in a process group of its
// own. Only Linux can ask the kernel to stop it when this process dies.
func serverProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
