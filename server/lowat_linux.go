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
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, n)
	}); err != nil {
		return err
	}
	return serr
}
