package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/bigdesk"
	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/internal/mailgen"
	"github.com/deskgate/deskgate/internal/pgtemp"
	"github.com/deskgate/deskgate/migrations"
)

const benchRoleEnv = "DESKGATE_BENCH_ROLE"

// BenchmarkIngest measures the whole ingest path on a backlog of
// DESKGATE_BENCH_MESSAGES (default 10,000) generated messages already in
// an IMAP mailbox served by another process: from `deskgate serve` starting
// until every message is captured and processed in PostgreSQL. It reports
// messages per second and the serve process's peak RSS, and writes a CPU
// profile of the serve process (path printed).
//
// PostgreSQL runs durable (fsync on) unless DESKGATE_BENCH_FAST=1. With
// DESKGATE_BENCH_STORED=N the database already holds N tickets of history
// (internal/bigdesk; built on first use and cached).
func BenchmarkIngest(b *testing.B) {
	n := 10000
	if v := os.Getenv("DESKGATE_BENCH_MESSAGES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("DESKGATE_BENCH_MESSAGES=%q: want a positive number", v)
		}
	}
	stored := 0
	if v := os.Getenv("DESKGATE_BENCH_STORED"); v != "" {
		var err error
		if stored, err = strconv.Atoi(v); err != nil || stored < 0 {
			b.Fatalf("DESKGATE_BENCH_STORED=%q: want a number of tickets", v)
		}
	}
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		cluster, url, err := benchDatabase(ctx, stored)
		if err != nil {
			b.Fatal(err)
		}
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			cluster.Stop()
			b.Fatal(err)
		}
		if _, err := migrations.Up(ctx, pool, nil); err != nil {
			b.Fatal(err)
		}

		imap, addr, bytes := startBenchIMAP(b, n)
		dir := b.TempDir()
		cfgPath := filepath.Join(dir, "deskgate.yaml")
		host, port := splitHostPort(addr)
		// serve sends its acknowledgements meanwhile, as it would in use.
		smtpHost, smtpPort := splitHostPort(testSMTP(b))
		cfg := fmt.Sprintf(`desk: {name: Bench Desk, address: help@desk.example, secrets: [{id: 1, secret: "${BENCH_SECRET}"}]}
ingest: {batch_size: 200}
http: {listen: "127.0.0.1:0"}
smtp: {host: %s, port: %d, tls: plain}
mailboxes:
  - {name: support, host: %s, port: %d, tls: plain, username: bench@desk.example, password: "${BENCH_PASSWORD}",
     existing_mail: normal}
`, smtpHost, smtpPort, host, port) + benchPolicy
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			b.Fatal(err)
		}
		profile := filepath.Join(os.TempDir(), "deskgate-ingest.cpu.pprof")
		serve := exec.Command(os.Args[0], "-test.run=^$")
		serve.Env = append(os.Environ(), benchRoleEnv+"=serve", "DESKGATE_DATABASE_URL="+url,
			"DESKGATE_CONFIG="+cfgPath, "BENCH_PASSWORD=bench", "BENCH_SECRET="+demoSecret, "DESKGATE_BENCH_PROFILE="+profile, "DESKGATE_LOG_LEVEL=WARN")
		serve.Stderr = os.Stderr

		var walStart string
		if os.Getenv("DIAG") != "" {
			if _, err := pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()`); err != nil {
				b.Fatalf("DIAG: %v", err)
			}
			if err := pool.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&walStart); err != nil {
				b.Fatalf("DIAG: %v", err)
			}
		}
		b.StartTimer()
		start := time.Now()
		if err := serve.Start(); err != nil {
			b.Fatal(err)
		}
		for {
			// Cheap, indexed checks: the benchmark must not load the
			// database it measures.
			var captured int
			var pending bool
			err := pool.QueryRow(ctx, `SELECT coalesce((SELECT last_uid FROM mailboxes WHERE name = 'support'), 0),
				EXISTS (SELECT 1 FROM inbound WHERE status = 'pending')`).Scan(&captured, &pending)
			if err != nil {
				b.Fatal(err)
			}
			if captured >= n && !pending {
				break
			}
			if time.Since(start) > 20*time.Minute {
				b.Fatalf("after 20 minutes %d of %d messages were captured (pending: %v)", captured, n, pending)
			}
			time.Sleep(50 * time.Millisecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()

		if os.Getenv("DIAG") != "" {
			rows, err := pool.Query(ctx, `SELECT round(total_exec_time)::bigint, round(total_plan_time)::bigint, calls, plans,
				left(regexp_replace(query, '\s+', ' ', 'g'), 100) FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT 14`)
			if err != nil {
				b.Fatalf("DIAG: %v", err)
			}
			for rows.Next() {
				var ms, plan, calls, plans int64
				var q string
				rows.Scan(&ms, &plan, &calls, &plans, &q)
				fmt.Printf("%6d ms %5d ms plan %6d calls %6d plans  %s\n", ms, plan, calls, plans, q)
			}
			rows.Close()
			diagVolume(b, ctx, pool, walStart)
		}
		_ = serve.Process.Signal(syscall.SIGTERM)
		if err := serve.Wait(); err != nil {
			b.Errorf("deskgate serve exited with %v", err)
		}
		rss := serve.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
		serveCPU := serve.ProcessState.UserTime() + serve.ProcessState.SystemTime()
		imap.Process.Signal(syscall.SIGTERM)
		imap.Wait()
		imapCPU := imap.ProcessState.UserTime() + imap.ProcessState.SystemTime()

		// The sender works meanwhile, so the CPU seconds include the mail it
		// sent before serve stopped: a faster sender shows as more mail
		// sent, not always as less CPU.
		var tickets, quarantined, sent, queued int
		pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM tickets WHERE id > $1), (SELECT count(*) FROM inbound WHERE status = 'quarantined'),
			(SELECT count(*) FILTER (WHERE status = 'sent') FROM outbox WHERE created_at >= $2), (SELECT count(*) FROM outbox WHERE created_at >= $2)`,
			stored, start).Scan(&tickets, &quarantined, &sent, &queued)
		pool.Close()
		cluster.Stop()
		fmt.Printf("CPU seconds: deskgate %.1f, PostgreSQL %.1f, IMAP server %.1f (including generating the backlog); wall %.1f on %d cores; notifications sent %d of %d queued\n",
			serveCPU.Seconds(), cluster.CPUTime().Seconds(), imapCPU.Seconds(), elapsed.Seconds(), runtime.NumCPU(), sent, queued)
		if tickets != n || quarantined != 0 {
			b.Errorf("tickets = %d, quarantined = %d; want %d tickets and nothing quarantined", tickets, quarantined, n)
		}
		rate := float64(n) / elapsed.Seconds()
		b.ReportMetric(rate, "msgs/s")
		b.ReportMetric(float64(rss)/1024, "peak-RSS-MB")
		b.ReportMetric(float64(bytes)/elapsed.Seconds()/(1<<20), "MB/s")
		fmt.Printf("ingest: %d messages (%.0f MB) captured and ticketed in %v, into a database holding %d tickets: %.0f msgs/s; deskgate peak RSS %.0f MB; CPU profile: %s\n",
			n, float64(bytes)/(1<<20), elapsed.Round(time.Millisecond), stored, rate, float64(rss)/1024, profile)
	}
}

// startBenchIMAP re-runs this binary as an IMAP server holding n generated
// messages and returns the process, its address and the backlog's size.
func startBenchIMAP(b *testing.B, n int) (*exec.Cmd, string, int64) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchRoleEnv+"=imap", "DESKGATE_BENCH_MESSAGES="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatalf("bench IMAP server: %v", err)
	}
	var addr string
	var size int64
	if _, err := fmt.Sscanf(line, "READY %s %d", &addr, &size); err != nil {
		b.Fatalf("bench IMAP server said %q: %v", line, err)
	}
	return cmd, addr, size
}

// benchIMAPServer is the IMAP server process of BenchmarkIngest.
func benchIMAPServer() int {
	n, _ := strconv.Atoi(os.Getenv("DESKGATE_BENCH_MESSAGES"))
	srv, err := imapmem.Start(imapmem.Options{Username: "bench@desk.example", Password: "bench"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	gen := mailgen.New(mailgen.Options{Seed: 1})
	var total int64
	for i := range n {
		raw := gen.Message(i)
		total += int64(len(raw))
		if _, err := srv.Append("INBOX", raw); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	fmt.Printf("READY %s %d\n", srv.Addr(), total)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	srv.Close()
	return 0
}

// benchServe is `deskgate serve` as BenchmarkIngest runs it, with a CPU
// profile around it.
func benchServe() int {
	if path := os.Getenv("DESKGATE_BENCH_PROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, []string{"serve"}, io.Discard, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "deskgate serve:", err)
		return 1
	}
	return 0
}

// benchDatabase starts the benchmark's PostgreSQL (durable unless
// DESKGATE_BENCH_FAST=1, with the further settings of
// DESKGATE_BENCH_PG_SETTINGS, "name=value" separated by blanks) with an
// empty database, or, when stored > 0, with bigdesk's fixture of that many
// tickets (built once and cached).
func benchDatabase(ctx context.Context, stored int) (*pgtemp.Cluster, string, error) {
	durable := os.Getenv("DESKGATE_BENCH_FAST") != "1"
	diag := os.Getenv("DIAG") != ""
	settings := strings.Fields(os.Getenv("DESKGATE_BENCH_PG_SETTINGS"))
	if stored > 0 {
		return bigdesk.Start(ctx, bigdesk.Options{Tickets: stored, Durable: durable, Statements: diag, Settings: settings,
			Log: func(format string, args ...any) { fmt.Printf(format+"\n", args...) }})
	}
	cluster, err := pgtemp.Start(ctx, pgtemp.Options{Durable: durable, Statements: diag, Settings: settings})
	if err != nil {
		return nil, "", err
	}
	url, err := cluster.CreateDatabase(ctx, "bench", "")
	if err != nil {
		cluster.Stop()
		return nil, "", err
	}
	return cluster, url, nil
}

// benchPolicy is a service desk's policy with everything on, as the ingest
// target is measured with: two teams with agents (so every new ticket
// queues an acknowledgement and mail to the team), verification of agents
// (Authentication-Results read), categories, the default SLA policy on a
// business-hours calendar with holidays, and twenty rules of the kinds
// desks write, some of which match the generated mail. The breaker's limit
// is raised so that it never holds acknowledgements back: a backlog is not
// a loop, and the benchmark measures the work of queuing them.
const benchPolicy = `notifications:
  breaker: {window: 1m, max: 1000000, pause: 1s}
teams:
  - {name: support, calendar: stockholm}
  - {name: network, calendar: stockholm}
agents:
  - {name: Maja Lind, addresses: [maja@desk.example], teams: [support, network], role: lead}
  - {name: Tom Berg, addresses: [tom@desk.example], teams: [support]}
  - {name: Ali Khan, addresses: [ali@desk.example], teams: [network]}
verification: {trusted_authserv_ids: [mx.desk.example]}
categories:
  - {name: Network}
  - {name: Hardware}
  - {name: Access}
  - {name: Mail}
  - {name: Applications}
  - {name: Security, impact: High, urgency: High}
calendars:
  - {name: stockholm, time_zone: Europe/Stockholm, mon: "08:00-17:00", tue: "08:00-17:00", wed: "08:00-17:00",
     thu: "08:00-17:00", fri: "08:00-16:00", holidays: [se]}
rules:
  - {name: Newsletters, when: 'header("List-Id") != ""', then: {ignore: mailing list}, stop: true}
  - {name: VPN, when: 'subject matches "(?i)vpn"', then: {category: Network, team: network, urgency: High}}
  - {name: Printers, when: 'subject matches "(?i)printer|skrivare|printeren|drucker|打印机|プリンター|принтер"', then: {category: Hardware}}
  - {name: Laptops, when: 'subject matches "(?i)laptop|computer|boot"', then: {category: Hardware}}
  - {name: Passwords, when: 'subject matches "(?i)password|lösenord|logga in|登录|войти"', then: {category: Access}}
  - {name: Shared folders, when: 'subject contains "共享文件夹" || subject contains "Økonomi"', then: {category: Access}}
  - {name: Mail problems, when: 'subject matches "(?i)mail|邮箱|почт"', then: {category: Mail}}
  - {name: SAP, when: 'subject contains "SAP"', then: {category: Applications, urgency: High}}
  - {name: Whole floor, when: 'text matches "(?i)colleagues|avdelningen|whole floor"', then: {impact: Medium}}
  - {name: Outage, when: 'lower(subject) contains "outage" || lower(text) contains "outage"', then: {impact: High, add_tags: [outage]}}
  - {name: Security words, when: 'text matches "(?i)phishing|virus|ransomware"', then: {category: Security, add_tags: [security]}}
  - {name: Big attachments, when: 'any(attachments, .size > 100000)', then: {add_tags: [large-attachment]}}
  - {name: PDFs, when: 'any(attachments, .type == "application/pdf")', then: {add_tags: [pdf]}}
  - {name: Urgent flag, when: 'header("X-Priority") == "1" && known_requester', then: {urgency: High}}
  - {name: Swedish, when: 'language == "sv"', then: {add_tags: [swedish]}}
  - {name: Chinese, when: 'language == "zh"', then: {add_tags: [chinese]}}
  - {name: Out of hours, when: '!business_hours', then: {add_tags: [out-of-hours]}}
  - {name: VIP, when: 'from.domain in ["bigcorp.example", "board.example"]', then: {urgency: High, team: support}}
  - {name: Supplier invoices, when: 'from.address == "invoices@supplier.example"', then: {category: Applications, suppress_acknowledgement: true}}
  - name: Became security
    on: ticket.updated
    when: 'ticket.category == "Security" && previous.category != "Security"'
    then: {priority: High, add_tags: [security]}
`

// TestBenchPolicyIsValid: the benchmark's policy passes config check with
// no warning, so BenchmarkIngest measures the desk it claims to.
func TestBenchPolicyIsValid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deskgate.yaml")
	cfg := `desk: {name: Bench Desk, address: help@desk.example, secrets: [{id: 1, secret: "${BENCH_SECRET}"}]}
smtp: {host: 127.0.0.1, port: 25, tls: plain}
mailboxes:
  - {name: support, host: 127.0.0.1, port: 143, tls: plain, username: bench@desk.example, password: "${BENCH_PASSWORD}"}
` + benchPolicy
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BENCH_PASSWORD", "bench")
	t.Setenv("BENCH_SECRET", demoSecret)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"config", "check", "-config", path}, &out, io.Discard); err != nil {
		t.Fatalf("config check = %v:\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "warning") || !strings.Contains(out.String(), "20 rule(s)") {
		t.Errorf("config check printed\n%s\nwant 20 rules and no warning", out.String())
	}
}

// diagVolume prints, for DIAG, what the run wrote: WAL bytes since
// walStart, the time PostgreSQL spent compiling JIT code for the
// statements, and the largest tables with their indexes and TOAST.
func diagVolume(b *testing.B, ctx context.Context, pool *pgxpool.Pool, walStart string) {
	var wal, jit string
	if err := pool.QueryRow(ctx, `SELECT pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)),
		(SELECT coalesce(round(sum(jit_generation_time + jit_inlining_time + jit_optimization_time + jit_emission_time)), 0)
			|| ' ms in ' || coalesce(sum(calls) FILTER (WHERE jit_functions > 0), 0) || ' statements'
			FROM pg_stat_statements)`, walStart).Scan(&wal, &jit); err != nil {
		b.Fatalf("DIAG: %v", err)
	}
	fmt.Printf("WAL written: %s; JIT: %s\n", wal, jit)
	rows, err := pool.Query(ctx, `SELECT relname, pg_size_pretty(pg_total_relation_size(oid)), pg_size_pretty(pg_indexes_size(oid)),
			pg_size_pretty(CASE WHEN reltoastrelid <> 0 THEN pg_total_relation_size(reltoastrelid) ELSE 0 END)
		FROM pg_class WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace
		ORDER BY pg_total_relation_size(oid) DESC LIMIT 8`)
	if err != nil {
		b.Fatalf("DIAG: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, total, indexes, toast string
		rows.Scan(&name, &total, &indexes, &toast)
		fmt.Printf("%-20s %10s (indexes %s, TOAST %s)\n", name, total, indexes, toast)
	}
}
