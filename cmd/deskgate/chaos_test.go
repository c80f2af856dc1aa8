package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The fault suite (`make chaos`): deskgate serve as a real subprocess,
// killed and starved of its servers while mail arrives; see HACKING.md.
// It runs only when DESKGATE_CHAOS is set.
const chaosEnv = "DESKGATE_CHAOS"

const (
	// chaosBacklog messages are in the mailbox before serve's first sync.
	chaosBacklog = 3000
	// chaosKills is how many times serve is killed with SIGKILL.
	chaosKills = 32
	// chaosSMTPWorkers is smtp.workers: connections to the SMTP server.
	chaosSMTPWorkers = 4
	// maxDuplicatesPerKill is the bound the crash-safety issue sets: a
	// crash repeats at most one acknowledgement per SMTP connection.
	maxDuplicatesPerKill = chaosSMTPWorkers
	// chaosRecoveryLimit is how long a restarted serve may take to process
	// its first message before the restart counts as failed.
	chaosRecoveryLimit = 60 * time.Second
	// chaosSettleLimit bounds the wait for all work to finish after the
	// faults; today's outbox leases alone last two minutes.
	chaosSettleLimit = 4 * time.Minute
	// chaosOutageBacklog is each outage scenario's backlog.
	chaosOutageBacklog = 300
)

// TestChaos runs the fault scenarios, one subtest each, printing their
// figures and a PASS or FAIL line per scenario.
func TestChaos(t *testing.T) {
	if os.Getenv(chaosEnv) == "" {
		t.Skip("the fault suite runs with make chaos (" + chaosEnv + "=1)")
	}
	start := time.Now()
	fmt.Printf("chaos: %d cores\n", runtime.NumCPU())
	scenarios := []struct {
		name string
		run  func(*testing.T, *chaosReport)
	}{
		{"kill", chaosKill},
		{"smtp-outage", chaosSMTPOutage},
		{"smtp-mid-data", chaosSMTPMidData},
		{"imap-outage", chaosIMAPOutage},
		{"imap-uidvalidity", chaosIMAPUIDValidity},
		{"pg-restart", chaosPGRestart},
		{"pg-immediate", chaosPGImmediate},
		{"pg-disk-full", chaosDiskFull},
	}
	var failed []string
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			rep := &chaosReport{name: sc.name}
			began := time.Now()
			// Deferred, so that a scenario ended by t.Fatal or t.Skip
			// still gets its line.
			defer func() {
				for _, f := range rep.failures {
					t.Error(f)
				}
				verdict := "PASS"
				switch {
				case t.Failed():
					verdict = "FAIL"
					failed = append(failed, sc.name)
				case t.Skipped():
					verdict = "SKIP"
				}
				fmt.Printf("%s %s (%.0fs)\n", verdict, sc.name, time.Since(began).Seconds())
			}()
			sc.run(t, rep)
		})
	}
	verdict := "all passed"
	if len(failed) > 0 {
		verdict = "FAIL: " + strings.Join(failed, ", ")
	}
	fmt.Printf("chaos: %s; wall time %.0fs\n", verdict, time.Since(start).Seconds())
}

// chaosKill kills serve with SIGKILL chaosKills times at random moments
// while it works through the backlog and new mail keeps arriving.
func chaosKill(t *testing.T, rep *chaosReport) {
	backlog, kills := chaosSetting(t, "DESKGATE_CHAOS_BACKLOG", chaosBacklog), chaosSetting(t, "DESKGATE_CHAOS_KILLS", chaosKills)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	rep.figure("backlog %d messages, %d kills, seed %d", backlog, kills, seed)
	r := newChaosRig(t, rep, backlog, "")
	stopFeed := r.feed(100 * time.Millisecond)
	began := r.startServe()
	if _, ok := r.waitProgress(began, chaosRecoveryLimit); !ok {
		t.Fatalf("serve processed nothing in %v; log: %s", chaosRecoveryLimit, r.logPath)
	}
	var killedAt []time.Time
	var recoveries []time.Duration
	var stalled int
	for range kills {
		// A random moment within 1.5s of the first progress: capturing,
		// processing or sending.
		time.Sleep(time.Duration(rng.Int64N(int64(1500 * time.Millisecond))))
		killedAt = append(killedAt, time.Now())
		r.kill()
		restarted := r.startServe()
		d, ok := r.waitProgress(restarted, chaosRecoveryLimit)
		if !ok {
			stalled++
			if exited, err := r.serveExited(); exited {
				rep.check(false, "serve exited by itself after a restart (%v)", err)
				r.serve = nil
				r.startServe()
			}
			continue
		}
		recoveries = append(recoveries, d)
	}
	stopFeed()
	settled, _ := r.settle(rep, chaosSettleLimit)
	rep.figure("all work done %.1fs after the last kill's restart processed its first message", settled.Seconds())
	rep.check(stalled == 0, "every restart processed a message within %v: %d did not", chaosRecoveryLimit, stalled)
	maxR, meanR := stats(recoveries)
	rep.figure("restart to first processed message: max %.1fs, mean %.1fs over %d restarts", maxR.Seconds(), meanR.Seconds(), len(recoveries))
	received := r.finish(rep)

	// A repeated delivery is the doing of the first kill after the delivery
	// before it: that kill kept the result from being recorded.
	perKill := make([]int, len(killedAt))
	for _, ts := range received {
		for j := 1; j < len(ts); j++ {
			for k, at := range killedAt {
				if at.After(ts[j-1]) {
					perKill[k]++
					break
				}
			}
		}
	}
	worst, sum, hit := 0, 0, 0
	for _, n := range perKill {
		worst, sum = max(worst, n), sum+n
		if n > 0 {
			hit++
		}
	}
	mean := 0.0
	if len(perKill) > 0 {
		mean = float64(sum) / float64(len(perKill))
	}
	rep.figure("kills: %d, %d of them followed by duplicates; %d messages appended in all", len(killedAt), hit, r.appended())
	rep.check(worst <= maxDuplicatesPerKill,
		"duplicate acknowledgements per kill: max %d, mean %.2f (bound: %d, one per SMTP connection)", worst, mean, maxDuplicatesPerKill)
}

// chaosSetting reads a positive number from the environment, for shorter
// runs while working on the suite, or returns def.
func chaosSetting(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}
