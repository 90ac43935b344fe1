//go:build unix

package server

import "syscall"

// setReadBuffer returns a net.Dialer Control function setting SO_RCVBUF to n bytes.
func setReadBuffer(n int) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		return setSocketInt(c, syscall.SO_RCVBUF, n)
	}
}
