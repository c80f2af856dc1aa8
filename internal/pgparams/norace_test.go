//go:build !race

package pgparams

const raceEnabled = false
