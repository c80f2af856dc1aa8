package pgtemp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// StopMode is how StopServer shuts the server down, as pg_ctl's -m.
type StopMode int

const (
	// Smart waits for every session to end.
	Smart StopMode = iota
	// Fast ends the sessions and shuts down cleanly.
	Fast
	// Immediate quits at once, without a checkpoint, as a crash would:
	// the next start recovers from the WAL.
	Immediate
)

func (m StopMode) String() string {
	return [...]string{"smart", "fast", "immediate"}[m]
}

// signal is the postmaster's signal for each mode.
func (m StopMode) signal() syscall.Signal {
	return [...]syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT}[m]
}

// StopServer stops the server and keeps its data, so that Restart can start
// it again. It returns once the server has exited.
func (c *Cluster) StopServer(mode StopMode) error {
	if c.cmd == nil {
		return errors.New("pgtemp: server not running")
	}
	return c.halt(mode, 60*time.Second)
}

// halt stops the server in mode, killing it after patience.
func (c *Cluster) halt(mode StopMode, patience time.Duration) error {
	// A server that died by itself has nothing to stop.
	if err := c.cmd.Process.Signal(mode.signal()); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("pgtemp: stopping (%v): %w", mode, err)
	}
	select {
	case <-c.done:
	case <-time.After(patience):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
	}
	if st := c.cmd.ProcessState; st != nil {
		c.usage += st.UserTime() + st.SystemTime()
	}
	c.cmd = nil
	return nil
}

// Restart starts a server stopped by StopServer again, on the same port,
// and waits until it takes connections.
func (c *Cluster) Restart(ctx context.Context) error {
	if c.cmd != nil {
		return errors.New("pgtemp: server already running")
	}
	return c.start(ctx, c.port)
}
