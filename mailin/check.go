package mailin

import (
	"context"
	"fmt"

	"github.com/emersion/go-imap/v2"
)

// CheckLogin connects to mb's server and logs in exactly as a Syncer does
// (the same dial and login), examines the folder, and logs out: what
// `deskgate config check -connect` runs. AuthFailed tells whether an
// error is the server refusing the login.
func CheckLogin(ctx context.Context, mb Mailbox) error {
	mb = mb.withDefaults()
	if err := mb.Validate(); err != nil {
		return err
	}
	c, err := dial(ctx, mb, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	cctx, cancel := context.WithTimeout(ctx, mb.CommandTimeout)
	defer cancel()
	stop := context.AfterFunc(cctx, func() { c.Close() })
	defer stop()
	if _, err := c.Select(mb.Folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return fmt.Errorf("mailin: logged in, but cannot open folder %q: %w", mb.Folder, err)
	}
	return c.Logout().Wait()
}
