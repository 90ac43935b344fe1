//go:build !unix

package models

import "time"

func processCPU() time.Duration { return 0 }
