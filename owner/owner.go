// Package owner names a process in the leases it takes (mailbox syncs,
// outbox claims) and tells, on the same host, whether the process behind
// such a name is gone, so that a restarted deskgate takes over the leases
// of its dead predecessor at once instead of waiting for them to expire.
//
// An id reads host:pid:start:random. start is the process's start as the
// kernel counts it (the first 8 hex digits of the boot id and the start
// time in clock ticks since boot, from /proc), so neither a reused pid nor
// a reboot can pass for the process that took a lease. Dead answers only
// for ids of this host, and only where /proc can be read; elsewhere it
// reports false, leaving the lease to expire. It assumes that processes
// sharing a host name share a pid namespace (containers usually have
// host names of their own).
package owner

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// New returns a new id for this process. Each call's random part differs.
func New() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%s:%s", host, os.Getpid(), startOf(os.Getpid()), hex.EncodeToString(b[:]))
}

// Dead reports whether id names a process of this host that is no longer
// running: its pid is not running, or runs a process that started at
// another time or before another boot. It reports false for this process,
// for other hosts and for ids it cannot read (older ones, host:pid:random,
// count as dead only when their pid is not running).
func Dead(id string) bool {
	parts := strings.Split(id, ":")
	if len(parts) < 3 {
		return false
	}
	host, _ := os.Hostname()
	n := len(parts)
	start := ""
	if n >= 4 { // host:pid:start:random; else host:pid:random
		start, parts = parts[n-2], parts[:n-2]
		n -= 2
	} else {
		parts, n = parts[:n-1], n-1
	}
	pid, err := strconv.Atoi(parts[n-1])
	if err != nil || pid <= 0 || strings.Join(parts[:n-1], ":") != host {
		return false
	}
	self := startOf(os.Getpid())
	if self == "-" {
		return false // no /proc: cannot tell
	}
	now := startOf(pid)
	switch {
	case now == "-":
		return true // not running
	case start == "" || start == "-":
		return false // an old id, or one made without /proc, whose pid runs: cannot tell
	default:
		return now != start
	}
}

// startOf returns when process pid started, as "<boot>.<ticks>", or "-"
// when that cannot be read (no such process, or no /proc).
func startOf(pid int) string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil || len(boot) < 8 {
		return "-"
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "-"
	}
	// The command name, in parentheses, may hold spaces and parentheses:
	// fields are counted after its last ')'. starttime is field 22.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return "-"
	}
	fields := strings.Fields(string(stat[i+1:]))
	const starttime = 22 - 3 // fields 1 and 2 (pid, comm) are before i, field 3 is fields[0]
	if len(fields) <= starttime {
		return "-"
	}
	return string(boot[:8]) + "." + fields[starttime]
}
