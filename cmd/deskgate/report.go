package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/ticketing/report"
	"github.com/deskgate/deskgate/ticketing/sla"
)

// reportCmd runs deskgate report sla|volume|backlog|agents, with now the
// instant "today" and the backlog's ages are taken at.
func reportCmd(ctx context.Context, args []string, stdout io.Writer, now func() time.Time) error {
	if len(args) == 0 {
		return usageError("report: want sla, volume, backlog or agents")
	}
	name := args[0]
	fs := flag.NewFlagSet("report "+name, flag.ContinueOnError)
	var from, to, by *string
	var atRisk *float64
	switch name {
	case "sla", "volume", "agents":
		from = fs.String("from", "", "first day, YYYY-MM-DD (default: six days before -to)")
		to = fs.String("to", "", "last day, YYYY-MM-DD, included (default: today)")
		if name == "sla" {
			by = fs.String("by", "", "group by "+strings.Join(report.Groupings, ", "))
		}
	case "backlog":
		by = fs.String("by", "", "group by "+strings.Join(report.Groupings, ", "))
		atRisk = fs.Float64("at-risk", report.DefaultAtRisk.Hours(), "business hours within which a deadline is at risk")
	default:
		return usageError(fmt.Sprintf("report: unknown report %q (want sla, volume, backlog or agents)", name))
	}
	asJSON := fs.Bool("json", false, "print JSON, exactly the API's body")
	asCSV := fs.Bool("csv", false, "print CSV with a header line")
	path := configFlag(fs)
	if _, err := parseArgs(fs, args[1:], noNumber); err != nil {
		return err
	}
	if *asJSON && *asCSV {
		return usageError("report " + name + ": -json or -csv, not both")
	}
	cfg, err := loadTicketConfig(*path, false) // it reads calendars, no secret
	if err != nil {
		return err
	}
	desk, err := reportDesk(cfg)
	if err != nil {
		return err
	}
	q := report.Query{Now: now()}
	if by != nil {
		q.By = *by
	}
	if from != nil {
		q.From, q.To = *from, *to
	}
	if atRisk != nil {
		if q.AtRisk, err = report.AtRiskHours(*atRisk); err != nil {
			return queryUsage(err)
		}
	}
	q = desk.Defaults(q)
	return withDB(ctx, func(pool *pgxpool.Pool) error {
		v, err := runReport(ctx, pool, desk, name, q)
		if errors.Is(err, report.ErrQuery) {
			return queryUsage(err)
		}
		if err != nil {
			return err
		}
		switch {
		case *asJSON: // as the API encodes its body
			return json.NewEncoder(stdout).Encode(v)
		case *asCSV:
			w := csv.NewWriter(stdout)
			w.WriteAll(reportTable(v))
			return w.Error()
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		for _, row := range reportTable(v) {
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		}
		return tw.Flush()
	})
}

// reportDesk is what the reports need of the configuration: the default
// SLA policy's calendar (around the clock in UTC without one).
func reportDesk(cfg *config.Config) (report.Desk, error) {
	pc, err := policyConfig(cfg)
	if err != nil {
		return report.Desk{}, err
	}
	d := report.Desk{Calendar: pc.Policies[pc.DefaultPolicy].Calendar}
	if d.Calendar == nil {
		d.Calendar = sla.Always()
	}
	return d, nil
}

// queryUsage is a report's query mistake as a usage error naming the
// flag.
func queryUsage(err error) error {
	var qe *report.QueryError
	if errors.As(err, &qe) {
		return usageError("-" + strings.ReplaceAll(qe.Field, "_", "-") + " " + qe.Message)
	}
	return usageError(err.Error())
}

func runReport(ctx context.Context, pool *pgxpool.Pool, d report.Desk, name string, q report.Query) (any, error) {
	switch name {
	case "sla":
		return report.SLAReport(ctx, pool, d, q)
	case "volume":
		return report.VolumeReport(ctx, pool, d, q)
	case "backlog":
		return report.BacklogReport(ctx, pool, d, q)
	}
	return report.AgentsReport(ctx, pool, d, q)
}

// reportTable is a report as rows of cells, a header first, for text and
// CSV.
func reportTable(v any) [][]string {
	switch r := v.(type) {
	case *report.SLA:
		out := [][]string{{"GROUP", "TICKETS", "RESPONSE_MEDIAN_H", "RESPONSE_P90_H", "RESPONDED_IN_TARGET_%",
			"RESOLVED_IN_TARGET_%", "BREACHED_RESPONSE", "BREACHED_RESOLUTION", "BREACHED_NEXT_RESPONSE", "PAUSED_H"}}
		row := func(name string, g report.SLAGroup) []string {
			return []string{name, figure(g.Tickets), num(g.FirstResponseMedian), num(g.FirstResponseP90),
				num(g.RespondedWithinTarget), num(g.ResolvedWithinTarget), figure(g.Breaches.Response),
				figure(g.Breaches.Resolution), figure(g.Breaches.NextResponse), num(&g.PausedHours)}
		}
		for _, g := range r.Groups {
			out = append(out, row(orDash(g.Group), g))
		}
		return append(out, row("TOTAL", r.Total))
	case *report.Volume:
		head := []string{"DATE", "OPENED"}
		for _, c := range report.Classes {
			head = append(head, "MAIL_"+strings.ToUpper(c))
		}
		head = append(head, "AGENT_REPLIES", "SENT", "SUPPRESSED", "QUARANTINED")
		out := [][]string{head}
		for _, d := range r.Days {
			row := []string{d.Date, figure(d.Opened)}
			for _, c := range report.Classes {
				row = append(row, figure(d.Mail[c]))
			}
			suppressed := 0
			for _, n := range d.Suppressed {
				suppressed += n
			}
			out = append(out, append(row, figure(d.AgentReplies), figure(d.Sent), figure(suppressed), figure(d.Quarantined)))
		}
		return out
	case *report.Backlog:
		head := []string{"GROUP", "STATUS", "OPEN"}
		for _, b := range r.BusinessBuckets {
			head = append(head, "BUSINESS_"+b)
		}
		for _, b := range r.WallBuckets {
			head = append(head, "WALL_"+b)
		}
		out := [][]string{append(head, "AT_RISK", "BREACHED", "OLDEST")}
		rows := func(name string, g report.BacklogGroup) {
			for i, st := range report.OpenStatuses {
				a := g.ByStatus[st]
				row := []string{name, st, figure(a.Tickets)}
				for _, n := range append(a.Business, a.Wall...) {
					row = append(row, figure(n))
				}
				extra := []string{"", "", ""}
				if i == 0 {
					extra = []string{figure(g.AtRisk), figure(g.Breached), "-"}
					if g.Oldest != nil {
						extra[2] = "#" + strconv.FormatInt(g.Oldest.Ticket, 10)
					}
				}
				out = append(out, append(row, extra...))
			}
		}
		for _, g := range r.Groups {
			rows(orDash(g.Group), g)
		}
		rows("TOTAL", r.Total)
		return out
	case *report.Agents:
		out := [][]string{{"AGENT", "REPLIES", "RESOLVED", "FIRST_CONTACT", "FIRST_CONTACT_%", "REOPENED", "REOPEN_%"}}
		for _, a := range r.Agents {
			out = append(out, []string{a.Agent, figure(a.Replies), figure(a.Resolved), figure(a.FirstContact),
				num(a.FirstContactResolution), figure(a.Reopened), num(a.ReopenRate)})
		}
		return out
	}
	return nil
}

// figure formats a count.
func figure(n int) string { return strconv.Itoa(n) }

// num formats a report's figure; nil is "-".
func num(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}
