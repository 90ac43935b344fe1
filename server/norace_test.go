//go:build !race

package server

// raceEnabled: the race detector is on (sync.Pool then drops a quarter of what is put back, so
// allocation counts are not meaningful).
const raceEnabled = false
