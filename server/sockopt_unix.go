//go:build unix

package server

import "syscall"

// setSocketInt sets the socket-level option opt (syscall.SO_*) of the socket behind rc to n.
func setSocketInt(rc syscall.RawConn, opt, n int) error {
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, opt, n)
	}); err != nil {
		return err
	}
	return serr
}
