//go:build !unix

package server

import "syscall"

// setReadBuffer returns a net.Dialer Control function that leaves the receive buffer as it is:
// the tests of never-reading clients then only take longer to fill the default one.
func setReadBuffer(n int) func(network, address string, c syscall.RawConn) error {
	return nil
}
