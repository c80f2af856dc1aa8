package main

import (
	"bufio"
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
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"deskgate/internal/bigdesk"
	"deskgate/internal/imapmem"
	"deskgate/internal/mailgen"
	"deskgate/internal/pgtemp"
	"deskgate/migrations"
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
		cfg := fmt.Sprintf(`desk: {name: Bench Desk, address: help@desk.example}
ingest: {batch_size: 200}
smtp: {host: %s, port: %d, tls: plain}
mailboxes:
  - {name: support, host: %s, port: %d, tls: plain, username: bench@desk.example, password: bench, existing_mail: normal}
`, smtpHost, smtpPort, host, port)
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			b.Fatal(err)
		}
		profile := filepath.Join(os.TempDir(), "deskgate-ingest.cpu.pprof")
		serve := exec.Command(os.Args[0], "-test.run=^$")
		serve.Env = append(os.Environ(), benchRoleEnv+"=serve", "DESKGATE_DATABASE_URL="+url,
			"DESKGATE_CONFIG="+cfgPath, "DESKGATE_BENCH_PROFILE="+profile, "DESKGATE_LOG_LEVEL=WARN")
		serve.Stderr = os.Stderr

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
			pool.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
			rows, _ := pool.Query(ctx, `SELECT round(total_exec_time)::bigint, calls, left(regexp_replace(query, '\s+', ' ', 'g'), 110) FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 12`)
			for rows.Next() {
				var ms, calls int64
				var q string
				rows.Scan(&ms, &calls, &q)
				fmt.Printf("%8d ms %6d  %s\n", ms, calls, q)
			}
			rows.Close()
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

		var tickets, quarantined int
		pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM tickets WHERE id > $1), (SELECT count(*) FROM inbound WHERE status = 'quarantined')`,
			stored).Scan(&tickets, &quarantined)
		pool.Close()
		cluster.Stop()
		fmt.Printf("CPU seconds: deskgate %.1f, PostgreSQL %.1f, IMAP server %.1f (including generating the backlog); wall %.1f on %d cores\n",
			serveCPU.Seconds(), cluster.CPUTime().Seconds(), imapCPU.Seconds(), elapsed.Seconds(), runtime.NumCPU())
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
// DESKGATE_BENCH_FAST=1) with an empty database, or, when stored > 0, with
// bigdesk's fixture of that many tickets (built once and cached).
func benchDatabase(ctx context.Context, stored int) (*pgtemp.Cluster, string, error) {
	durable := os.Getenv("DESKGATE_BENCH_FAST") != "1"
	if stored > 0 {
		return bigdesk.Start(ctx, bigdesk.Options{Tickets: stored, Durable: durable,
			Log: func(format string, args ...any) { fmt.Printf(format+"\n", args...) }})
	}
	cluster, err := pgtemp.Start(ctx, pgtemp.Options{Durable: durable})
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
