package owner

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestNewIsAlive(t *testing.T) {
	id := New()
	host, _ := os.Hostname()
	if !strings.HasPrefix(id, fmt.Sprintf("%s:%d:", host, os.Getpid())) {
		t.Errorf("New() = %q, want host:pid:…", id)
	}
	if New() == id {
		t.Errorf("New() twice = %q both times, want different random parts", id)
	}
	if Dead(id) {
		t.Errorf("Dead(New()) = true, want false for this process")
	}
}

func TestDeadProcess(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run true: %v", err)
	}
	pid := cmd.Process.Pid
	host, _ := os.Hostname()
	start := startOf(os.Getpid())
	if start == "-" {
		t.Skip("no /proc: Dead cannot tell")
	}
	boot, _, _ := strings.Cut(start, ".")
	for _, tt := range []struct {
		id   string
		dead bool
	}{
		{fmt.Sprintf("%s:%d:%s.1:abcd", host, pid, boot), true},                                               // exited
		{fmt.Sprintf("%s:%d:abcd", host, pid), true},                                                          // old form, exited
		{fmt.Sprintf("%s:%d:%s.1:abcd", host, os.Getpid(), boot), true},                                       // this pid, another start: reused
		{fmt.Sprintf("%s:%d:0000beef.%s:abcd", host, os.Getpid(), strings.TrimPrefix(start, boot+".")), true}, // another boot
		{fmt.Sprintf("%s:%d:abcd", host, os.Getpid()), false},                                                 // old form, running
		{fmt.Sprintf("%s:%d:%s:abcd", host, os.Getpid(), start), false},                                       // this process
		{fmt.Sprintf("%s:%d:%s:abcd", host, os.Getppid(), startOf(os.Getppid())), false},                      // the parent
		{fmt.Sprintf("other-%s:%d:%s.1:abcd", host, pid, boot), false},                                        // another host
		{"owner-test", false},
		{"", false},
		{fmt.Sprintf("%s:x:%s.1:abcd", host, boot), false},
	} {
		if got := Dead(tt.id); got != tt.dead {
			t.Errorf("Dead(%q) = %v, want %v", tt.id, got, tt.dead)
		}
	}
}

func TestStartOfCommandWithParentheses(t *testing.T) {
	// A command name with spaces and ")" does not shift the fields.
	if startOf(os.Getpid()) == "-" {
		t.Skip("no /proc")
	}
	dir := t.TempDir()
	name := dir + "/a) b ("
	if err := os.Symlink("/bin/sleep", name); err != nil {
		t.Skip(err)
	}
	// Start times count clock ticks (10 ms): a child started in the
	// test binary's first tick would share its start time, and the check
	// below would fail for no fault of startOf (seen once, 0.01 s in).
	time.Sleep(30 * time.Millisecond)
	cmd := exec.Command(name, "10")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer cmd.Process.Kill()
	s := startOf(cmd.Process.Pid)
	if s == "-" || s == startOf(os.Getpid()) {
		t.Errorf("startOf(%q) = %q, want a start time of its own", name, s)
	}
	id := fmt.Sprintf("%s:%d:%s:abcd", func() string { h, _ := os.Hostname(); return h }(), cmd.Process.Pid, s)
	if Dead(id) {
		t.Errorf("Dead(%q) = true for a running process", id)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if !Dead(id) {
		t.Errorf("Dead(%q) = false after it exited", id)
	}
}

// FuzzDead: any id, as read from a lease column, is answered without
// panicking, and never as dead when it names another host.
func FuzzDead(f *testing.F) {
	host, _ := os.Hostname()
	f.Add(New())
	f.Add(host + ":1:abcd")
	f.Add(host + ":999999999:0000beef.1:abcd")
	f.Add(":::")
	f.Add("owner-test")
	f.Fuzz(func(t *testing.T, id string) {
		dead := Dead(id)
		if dead && !strings.HasPrefix(id, host+":") {
			t.Errorf("Dead(%q) = true for an id of another host", id)
		}
	})
}
