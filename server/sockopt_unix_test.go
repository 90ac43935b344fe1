//go:build unix

package server

import "syscall"

// setReadBuffer returns a net.Dialer Control function setting SO_RCVBUF to n bytes.
func setReadBuffer(n int) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, n)
		}); cerr != nil {
			return cerr
		}
		return err
	}
}
