package server

import (
	"net"
	"syscall"
)

// rcvLowatSupported: Linux's TCP wakes a socket's readers only once SO_RCVLOWAT bytes are
// queued (tcp_data_ready, tcp_poll), while a non-blocking read still returns what is there.
const rcvLowatSupported = true

// setRcvLowat sets c's SO_RCVLOWAT to n bytes.
func setRcvLowat(c *net.TCPConn, n int) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	return setSocketInt(rc, syscall.SO_RCVLOWAT, n)
}
