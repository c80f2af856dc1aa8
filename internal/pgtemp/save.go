package pgtemp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// SaveData copies the data directory of a cluster stopped by StopServer
// to dst (which must not exist), for Options.From to start other clusters
// from. A cleanly stopped server's directory is consistent, so a copy taken
// from a cluster run without fsync is as good as any.
func (c *Cluster) SaveData(ctx context.Context, dst string) error {
	if c.cmd != nil {
		return errors.New("pgtemp: SaveData needs the server stopped (StopServer)")
	}
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("pgtemp: %s exists", dst)
	}
	return copyDir(ctx, c.data, dst)
}

// copyDir copies a data directory with its modes and owners (cp -a, with
// reflinks where the file system has them).
func copyDir(ctx context.Context, src, dst string) error {
	if out, err := exec.CommandContext(ctx, "cp", "-a", "--reflink=auto", src, dst).CombinedOutput(); err != nil {
		return fmt.Errorf("pgtemp: copying %s to %s: %w\n%s", src, dst, err, out)
	}
	return nil
}
