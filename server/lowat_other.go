//go:build !linux

package server

import (
	"errors"
	"net"
)

// rcvLowatSupported is false: other kernels' SO_RCVLOWAT does not hold back the poller's
// readiness the same way, so reads are not batched there.
const rcvLowatSupported = false

func setRcvLowat(*net.TCPConn, int) error { return errors.ErrUnsupported }
