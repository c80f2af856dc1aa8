package pgtemp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"

	"golang.org/x/sys/unix"
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
// reflinks where the file system has them) and writes the copy to disk.
func copyDir(ctx context.Context, src, dst string) error {
	if out, err := exec.CommandContext(ctx, "cp", "-a", "--reflink=auto", src, dst).CombinedOutput(); err != nil {
		return fmt.Errorf("pgtemp: copying %s to %s: %w\n%s", src, dst, err, out)
	}
	if out, err := exec.CommandContext(ctx, "sync", "--file-system", dst).CombinedOutput(); err != nil {
		return fmt.Errorf("pgtemp: writing %s to disk: %w\n%s", dst, err, out)
	}
	return nil
}

// startFrom copies a saved data directory to dst for a cluster to start
// from, and asks the kernel to drop the saved files from its page cache
// (symbolic links and other special files are left alone). A server holds
// one copy of its data in memory, not two: after copying bigdesk's 8 GB
// fixture, the saved files' pages and 1–2 GB of the copy still to be
// written made every process slower in the benchmark timed on it (the
// capture's COPY into an empty table took 3.7 s against 2.2, the IMAP
// server 3.5 CPU-s against 1.6), and the million-ticket figure depended on
// what earlier runs had left cached.
func startFrom(ctx context.Context, saved, dst string) error {
	if err := copyDir(ctx, saved, dst); err != nil {
		return err
	}
	return filepath.WalkDir(saved, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
			return fmt.Errorf("pgtemp: dropping %s from the page cache: %w", path, err)
		}
		return nil
	})
}
