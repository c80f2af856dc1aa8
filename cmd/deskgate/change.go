package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/ticketing"
)

// agentFlag is -as: the agent a change is recorded as, by default
// $DESKGATE_AGENT; "" records "cli", an administrator whom no team limits.
func agentFlag(fs *flag.FlagSet) *string {
	return fs.String("as", os.Getenv("DESKGATE_AGENT"), "the agent who acts (default $DESKGATE_AGENT); checked against their teams as #merge is")
}

// actorOf is what the event log records for a change by agent.
func actorOf(agent string) string {
	if agent == "" {
		return "cli"
	}
	return strings.ToLower(agent)
}

// listFilters are ticket list's flags beyond -status and -limit: the
// API's filters.
type listFilters struct {
	queue, team, assignee, priority, category, requester, tag, search, sort, cursor *string
	created, updated                                                                *string
}

func addListFilters(fs *flag.FlagSet) listFilters {
	return listFilters{
		queue: fs.String("queue", "", "only tickets of this queue (mailbox)"), team: fs.String("team", "", "only tickets of this team"),
		assignee:  fs.String("assignee", "", `only tickets assigned to this agent ("none": unassigned)`),
		priority:  fs.String("priority", "", "only tickets of this priority"),
		category:  fs.String("category", "", "only tickets of this category"),
		requester: fs.String("requester", "", "only tickets of this requester's address"),
		tag:       fs.String("tag", "", "only tickets with this tag"),
		search:    fs.String("search", "", "only tickets whose subject or messages contain these words (any language)"),
		sort:      fs.String("sort", "-number", "order: "+strings.Join(ticketing.Sorts, ", ")),
		cursor:    fs.String("cursor", "", "the next page: what the list printed after more: -cursor"),
		created:   fs.String("created", "", "created within FROM..TO (RFC 3339 times, either may be left out)"),
		updated:   fs.String("updated", "", "updated within FROM..TO (RFC 3339 times, either may be left out)"),
	}
}

// filter builds the filter, with its usage errors.
func (l listFilters) filter(status string, limit int) (ticketing.Filter, error) {
	f := ticketing.Filter{Status: status, Queue: *l.queue, Team: *l.team, Assignee: *l.assignee, Priority: *l.priority,
		Category: *l.category, Requester: *l.requester, Tag: *l.tag, Query: *l.search, Sort: *l.sort, Cursor: *l.cursor, Limit: limit}
	var err error
	if f.CreatedAfter, f.CreatedBefore, err = timeRange("-created", *l.created); err != nil {
		return f, err
	}
	if f.UpdatedAfter, f.UpdatedBefore, err = timeRange("-updated", *l.updated); err != nil {
		return f, err
	}
	if !slices.Contains(ticketing.Sorts, f.Sort) {
		return f, usageError(fmt.Sprintf("-sort %q: want one of %s", f.Sort, strings.Join(ticketing.Sorts, ", ")))
	}
	return f, nil
}

// timeRange reads FROM..TO.
func timeRange(flag, v string) (from, to time.Time, err error) {
	if v == "" {
		return
	}
	a, b, ok := strings.Cut(v, "..")
	if !ok {
		return from, to, usageError(fmt.Sprintf("%s %q: want FROM..TO", flag, v))
	}
	for _, p := range []struct {
		s string
		t *time.Time
	}{{a, &from}, {b, &to}} {
		if p.s == "" {
			continue
		}
		if *p.t, err = time.Parse(time.RFC3339, p.s); err != nil {
			return from, to, usageError(fmt.Sprintf("%s: %q is not an RFC 3339 time like 2026-12-01T00:00:00Z", flag, p.s))
		}
	}
	return from, to, nil
}

// parseChange reads ticket set's FIELD=VALUE arguments.
func parseChange(args []string) (ticketing.Change, error) {
	var c ticketing.Change
	if len(args) == 0 {
		return c, usageError("ticket set: want N FIELD=VALUE …, FIELD one of status, priority, impact, urgency, category, team, assignee, tags")
	}
	for _, a := range args {
		field, value, ok := strings.Cut(a, "=")
		if !ok {
			return c, usageError(fmt.Sprintf("ticket set: %q is not FIELD=VALUE", a))
		}
		v := value
		switch field {
		case "status":
			c.Status = &v
		case "priority":
			c.Priority = &v
		case "impact":
			c.Impact = &v
		case "urgency":
			c.Urgency = &v
		case "category":
			c.Category = &v
		case "team":
			c.Team = &v
		case "assignee":
			c.Assignee = &v
		case "tags", "tag":
			for _, t := range strings.Split(value, ",") {
				if name, ok := strings.CutPrefix(t, "-"); ok {
					c.RemoveTags = append(c.RemoveTags, name)
				} else {
					c.AddTags = append(c.AddTags, strings.TrimPrefix(t, "+"))
				}
			}
		default:
			return c, usageError(fmt.Sprintf("ticket set: unknown field %q: want status, priority, impact, urgency, category, team, assignee or tags", field))
		}
	}
	return c, nil
}

// setCmd is ticket set N FIELD=VALUE ….
func setCmd(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	path, agent := configFlag(fs), agentFlag(fs)
	why := fs.String("why", "", "the reason, kept in the ticket's event log")
	nums, rest, err := positional(fs, args, 1)
	if err != nil {
		return err
	}
	c, err := parseChange(rest)
	if err != nil {
		return err
	}
	c.Why = *why
	desk, err := cliDesk(*path)
	if err != nil {
		return err
	}
	return withDB(ctx, func(pool *pgxpool.Pool) error {
		if err := desk.Apply(ctx, pool, nums[0], *agent, c); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "ticket #%d changed by %s\n", nums[0], actorOf(*agent))
		return nil
	})
}

// postCmd is ticket reply|note N TEXT (or - for standard input).
func postCmd(ctx context.Context, fs *flag.FlagSet, args []string, stdin io.Reader, stdout io.Writer, note bool) error {
	path, agent := configFlag(fs), agentFlag(fs)
	var files fileList
	if !note {
		fs.Var(&files, "attach", "a file to attach (repeat for more)")
	}
	nums, rest, err := positional(fs, args, 1)
	if err != nil {
		return err
	}
	text := strings.Join(rest, " ")
	if text == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return err
		}
		text = string(b)
	}
	if strings.TrimSpace(text) == "" {
		return usageError(fs.Name() + ": want N TEXT, or N - to read the text from standard input")
	}
	if *agent == "" {
		return usageError(fs.Name() + ": an agent writes it: set $DESKGATE_AGENT or -as ADDRESS")
	}
	desk, err := cliDesk(*path)
	if err != nil {
		return err
	}
	return withDB(ctx, func(pool *pgxpool.Pool) error {
		id, err := desk.Post(ctx, pool, nums[0], *agent, text, note, files)
		if err != nil {
			return err
		}
		if note {
			fmt.Fprintf(stdout, "ticket #%d: note %d added\n", nums[0], id)
		} else {
			fmt.Fprintf(stdout, "ticket #%d: reply %d queued for the requester; a running deskgate serve sends it\n", nums[0], id)
		}
		return nil
	})
}

// fileList is -attach: files read when named.
type fileList []ticketing.Attachment

func (f *fileList) String() string { return fmt.Sprint(len(*f), " files") }

func (f *fileList) Set(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	ct := mime.TypeByExtension(filepath.Ext(path))
	if ct == "" {
		ct = "application/octet-stream"
	}
	*f = append(*f, ticketing.Attachment{Filename: filepath.Base(path), ContentType: ct, Data: b})
	return nil
}
