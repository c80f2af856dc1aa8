package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/api"
)

// tokenCmd creates, lists and revokes API tokens.
func tokenCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError("token: want create, list or revoke ID")
	}
	fs := flag.NewFlagSet("token "+args[0], flag.ContinueOnError)
	switch args[0] {
	case "create":
		agent := fs.String("agent", "", "the agent the token acts as (an address of theirs in the configuration)")
		scope := fs.String("scope", api.ScopeRead, "read (GET only) or write")
		expires := fs.Duration("expires", 0, "how long the token works, e.g. 720h; 0: until revoked")
		if _, err := parseArgs(fs, args[1:], noNumber); err != nil {
			return err
		}
		if *agent == "" {
			return usageError("token create: -agent ADDRESS is required")
		}
		if *scope != api.ScopeRead && *scope != api.ScopeWrite {
			return usageError(fmt.Sprintf("token create: -scope %q: want read or write", *scope))
		}
		if *expires < 0 {
			return usageError("token create: -expires must be positive")
		}
		return withDB(ctx, func(pool *pgxpool.Pool) error {
			_, secret, err := api.CreateToken(ctx, pool, *agent, *scope, *expires)
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, secret) // shown once: only its hash is kept
			return nil
		})
	case "list":
		asJSON := fs.Bool("json", false, "print JSON")
		if _, err := parseArgs(fs, args[1:], noNumber); err != nil {
			return err
		}
		return withDB(ctx, func(pool *pgxpool.Pool) error {
			ts, err := api.ListTokens(ctx, pool)
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(stdout, ts)
			}
			tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tAGENT\tSCOPE\tCREATED\tEXPIRES\tLAST USED\tSTATE")
			for _, t := range ts {
				state := "active"
				switch {
				case t.RevokedAt != nil:
					state = "revoked " + t.RevokedAt.Local().Format("2006-01-02 15:04")
				case t.ExpiresAt != nil && t.ExpiresAt.Before(time.Now()):
					state = "expired"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Agent, t.Scope, t.CreatedAt.Local().Format("2006-01-02 15:04"),
					timeOrDash(t.ExpiresAt), timeOrDash(t.LastUsedAt), state)
			}
			return tw.Flush()
		})
	case "revoke":
		id, err := parseArgs(fs, args[1:], needNumber)
		if err != nil {
			return err
		}
		return withDB(ctx, func(pool *pgxpool.Pool) error {
			if err := api.RevokeToken(ctx, pool, id); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "token %d revoked; requests with it are refused from now on\n", id)
			return nil
		})
	}
	return usageError(fmt.Sprintf("token: unknown subcommand %q", args[0]))
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}
