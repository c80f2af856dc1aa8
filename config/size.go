package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// ByteSize is a size in bytes. In deskgate.yaml it is written as a whole number of bytes or as a
// whole number with a unit: KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024), with
// the unit's letters in any case and an optional space before it ("25MB", "512 KiB").
// Fractions ("1.5MB") are not accepted.
type ByteSize int64

var sizeUnits = []struct {
	name string
	mult int64
}{
	// Largest first: String picks the first unit that divides the size exactly.
	{"GiB", 1 << 30}, {"GB", 1e9}, {"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"KB", 1e3},
	{"B", 1},
}

// String formats b with the largest unit that divides it exactly: "25MB", "512KiB", "1023B".
func (b ByteSize) String() string {
	if b != 0 {
		for _, u := range sizeUnits {
			if int64(b)%u.mult == 0 {
				return strconv.FormatInt(int64(b)/u.mult, 10) + u.name
			}
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}

var errSize = errors.New("must be a size such as 25MB, 25MiB, 512KB or a number of bytes")

// parseByteSize parses a ByteSize as described on the type.
func parseByteSize(s string) (ByteSize, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, errSize
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, errors.New("is too large")
	}
	if i == len(s) {
		return ByteSize(n), nil
	}
	unit := strings.TrimPrefix(s[i:], " ")
	for _, u := range sizeUnits {
		if strings.EqualFold(unit, u.name) {
			if n > math.MaxInt64/u.mult {
				return 0, errors.New("is too large")
			}
			return ByteSize(n * u.mult), nil
		}
	}
	return 0, errSize
}
