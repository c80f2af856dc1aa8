package mailin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/mailin/parse"
	"github.com/deskgate/deskgate/mailin/quote"
	"github.com/deskgate/deskgate/metrics"
	"github.com/deskgate/deskgate/outage"
	"github.com/deskgate/deskgate/ticketing"
)

// ProcessorConfig tunes a Processor.
type ProcessorConfig struct {
	Parse  parse.Options
	Queues map[string]string // mailbox name -> the queue it feeds
	// Markers are deskgate's "reply above this line" texts, in every
	// language: quoted history in replies is cut at them.
	Markers []string
	// Workers is how many messages are parsed in parallel; default
	// GOMAXPROCS-1, at least 1. Ingest goes as fast as the transaction
	// that applies batches in order: parsers on every core kept it from
	// running as soon as the database answered, and on 2 cores one parser
	// ingested faster than two (BenchmarkIngest, paired: 1.13, 1.13, 1.02).
	Workers   int
	BatchSize int // messages per transaction; default 200
	// Poll is how often to look for captured mail without being woken
	// (captures by other processes); default 1s.
	Poll time.Duration
	// Database, when set, tracks the process's database faults, shared
	// with its Syncers; otherwise the Processor has a tracker of its own.
	Database *outage.Tracker
	// Handoff, when set, holds raw mail this process's Syncers captured
	// (Mailbox.Handoff), read from there instead of the database.
	Handoff *Handoff
	// Metrics counts processed mail and times batches and parses; nil
	// counts nothing.
	Metrics *metrics.Set
}

// Processor turns captured mail (inbound rows with status pending) into
// tickets: it parses and classifies each message and hands the batch to
// ticketing in one transaction with the status updates. Several processes
// may run one each: rows are claimed with FOR UPDATE SKIP LOCKED.
type Processor struct {
	pool *pgxpool.Pool
	desk atomic.Pointer[ticketing.Desk] // SetDesk replaces it between batches
	cfg  ProcessorConfig
	log  *slog.Logger
	db   *outage.Tracker // database faults while processing
	wake chan struct{}
	// parse is parse.Message; tests stand in a slow parser.
	parse func([]byte, parse.Options) (ticketing.Inbound, error)
	// processed counts the messages committed, for progress lines
	// (watchDrain) at each of ticks (progressTicks; tests tick by hand).
	processed atomic.Int64
	ticks     func() (<-chan time.Time, func())
}

// NewProcessor returns a Processor; Run starts it.
func NewProcessor(pool *pgxpool.Pool, desk *ticketing.Desk, cfg ProcessorConfig, log *slog.Logger) *Processor {
	if cfg.Workers <= 0 {
		cfg.Workers = max(1, runtime.GOMAXPROCS(0)-1)
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 200
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	cfg.Parse.Limits = cfg.Parse.Limits.WithDefaults()
	db := cfg.Database
	if db == nil {
		db = outage.New(log, outage.Database, 0)
	}
	p := &Processor{pool: pool, cfg: cfg, log: log, db: db, wake: make(chan struct{}, 1), parse: parse.Message,
		ticks: progressTicks}
	p.desk.Store(desk)
	return p
}

// SetDesk makes the processor hand the batches it applies from now on to
// desk (a reloaded configuration's); a batch being applied finishes with
// the one it began with.
func (p *Processor) SetDesk(desk *ticketing.Desk) { p.desk.Store(desk) }

// Wake tells the processor that new mail was captured. It never blocks.
func (p *Processor) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run processes captured mail until ctx is done.
func (p *Processor) Run(ctx context.Context) error {
	backoff := time.Second
	for {
		_, err := p.Drain(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := p.cfg.Poll
		switch {
		case err == nil:
			p.db.OK("mailin: database reachable again; processing captured mail")
			backoff = time.Second
		case transient(err): // the database, logged once per fault
			p.db.Fail("mailin: database unavailable; processing paused", err, "retry_in", backoff)
		default:
			p.log.Error("processing captured mail", "err", err, "retry_in", backoff)
		}
		if err != nil {
			wait, backoff = backoff, min(backoff*2, time.Minute)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-p.wake:
		case <-time.After(wait):
		}
	}
}

// Drain processes batches until no captured mail is pending and returns how
// many messages it handled. A batch that fails for a reason that will not
// pass on its own is retried message by message, so that the one bad
// message is quarantined and never blocks the mailbox.
func (p *Processor) Drain(ctx context.Context) (int, error) {
	defer p.watchDrain(ctx)()
	total := 0
	for {
		n, err := p.pipeline(ctx)
		total += n
		if err == nil || ctx.Err() != nil || transient(err) {
			return total, err
		}
		p.log.Warn("batch failed; processing its messages one by one", "err", err)
		n, err = p.isolate(ctx, p.cfg.BatchSize)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// pipeline processes batches until none is pending or one fails: while one
// batch is applied and committed, the next is claimed and parsed. Batches
// are applied strictly in order, each after the previous one committed.
func (p *Processor) pipeline(ctx context.Context) (int, error) {
	total := 0
	cur, err := p.prepare(ctx, p.cfg.BatchSize)
	for err == nil && len(cur.ids) > 0 {
		next := make(chan prepared, 1)
		go func() {
			b, err := p.prepare(ctx, p.cfg.BatchSize)
			b.err = err
			next <- b
		}()
		err = p.apply(ctx, cur)
		following := <-next
		if err != nil {
			following.rollback()
			break
		}
		total += len(cur.ids)
		cur, err = following, following.err
	}
	return total, err
}

// isolate processes up to count messages one at a time, quarantining any
// that fails for a reason other than a transient one.
func (p *Processor) isolate(ctx context.Context, count int) (int, error) {
	done := 0
	for range count {
		n, ids, err := p.batch(ctx, 1)
		if err != nil {
			if ctx.Err() != nil || transient(err) || len(ids) != 1 {
				return done, err
			}
			if qerr := p.quarantine(ctx, ids[0], err); qerr != nil {
				return done, errors.Join(err, qerr)
			}
			n = 1
		}
		if n == 0 {
			break
		}
		done += n
	}
	return done, nil
}

// transient reports whether err may pass on its own (a deadlock, a
// serialization failure, a lost connection, a server shutting down), so the
// batch should be retried rather than a message quarantined.
func transient(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return true // network and connection errors
	}
	switch pgErr.Code[:2] {
	case "08", "40", "53", "55", "57", "58": // connection, rollback, resources, lock, shutdown, system
		return true
	}
	return false
}

type captured struct {
	id        int64
	mailbox   string
	uid       int64
	size      int64
	truncated bool
	reason    string // why a stub was captured instead of the whole message
	raw       []byte
	// handling and handlingReason were decided at capture.
	handling       Handling
	handlingReason string
	internalDate   *time.Time // the message's arrival in the mailbox, as the server said
}

// maxBatchRaw bounds the raw mail one batch holds in memory (parsed and
// decoded copies come on top); a single larger message still goes alone.
const maxBatchRaw = 48 << 20

// claimSQL locks up to $1 pending captures, oldest first, with the length
// of their stored bytes, read from the TOAST header without fetching them.
const claimSQL = `
SELECT id, octet_length(raw) FROM inbound
WHERE status = 'pending' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`

const loadSQL = `
SELECT id, mailbox, uidvalidity, uid, size, truncated, reason, handling, handling_reason,
    internal_date FROM inbound WHERE id = ANY($1) ORDER BY id`

// loadRawSQL reads the bytes of captures the handoff did not hold.
const loadRawSQL = `SELECT id, raw FROM inbound WHERE id = ANY($1)`

// claim locks pending captures and loads the oldest of them that fit
// maxBatchRaw, their bytes from h where it holds them; the rest are
// released at commit for the next batch.
func claim(ctx context.Context, tx pgx.Tx, h *Handoff, limit int) ([]captured, error) {
	// loadSQL and loadRawSQL look captures up by id, planned for their
	// batch (see ticketing.KeyLookupsSQL).
	if _, err := tx.Exec(ctx, ticketing.KeyLookupsSQL); err != nil {
		return nil, fmt.Errorf("mailin: claiming captured mail: %w", err)
	}
	rows, err := tx.Query(ctx, claimSQL, limit)
	if err != nil {
		return nil, fmt.Errorf("mailin: claiming captured mail: %w", err)
	}
	var ids []int64
	var id, length, total int64
	_, err = pgx.ForEachRow(rows, []any{&id, &length}, func() error {
		if len(ids) == 0 || total+length <= maxBatchRaw {
			ids = append(ids, id)
			total += length
		}
		return nil
	})
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	rows, err = tx.Query(ctx, loadSQL, pgx.QueryExecModeDescribeExec, ids)
	if err != nil {
		return nil, fmt.Errorf("mailin: loading captured mail: %w", err)
	}
	var c captured
	var caps []captured
	var uidValidity int64
	missing := map[int64]int{} // id -> index in caps
	_, err = pgx.ForEachRow(rows, []any{&c.id, &c.mailbox, &uidValidity, &c.uid, &c.size, &c.truncated, &c.reason,
		&c.handling, &c.handlingReason, &c.internalDate}, func() error {
		var ok bool
		if c.raw, ok = h.take(c.mailbox, uidValidity, c.uid); !ok {
			missing[c.id] = len(caps)
		}
		caps = append(caps, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mailin: loading captured mail: %w", err)
	}
	if len(missing) == 0 {
		return caps, nil
	}
	ids = ids[:0]
	for id := range missing {
		ids = append(ids, id)
	}
	rows, err = tx.Query(ctx, loadRawSQL, pgx.QueryExecModeDescribeExec, ids)
	if err != nil {
		return nil, fmt.Errorf("mailin: loading captured mail: %w", err)
	}
	var raw []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &raw}, func() error {
		caps[missing[id]].raw = raw
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mailin: loading captured mail: %w", err)
	}
	return caps, nil
}

// prepared is a claimed and parsed batch whose transaction is still open.
type prepared struct {
	tx       pgx.Tx
	ids      []int64
	caps     []captured
	parsed   []ticketing.Inbound
	failures []string
	err      error     // set when prepared in the background
	started  time.Time // when it was claimed
}

// prepare begins a transaction, claims up to limit pending captures and
// parses them. With nothing pending it returns no ids and no transaction.
func (p *Processor) prepare(ctx context.Context, limit int) (prepared, error) {
	started := time.Now()
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return prepared{}, fmt.Errorf("mailin: processing: %w", err)
	}
	caps, err := claim(ctx, tx, p.cfg.Handoff, limit)
	if err != nil || len(caps) == 0 {
		tx.Rollback(context.WithoutCancel(ctx))
		return prepared{}, err
	}
	b := prepared{tx: tx, caps: caps, started: started}
	for _, c := range caps {
		b.ids = append(b.ids, c.id)
	}
	b.parsed, b.failures = p.parseAll(caps)
	if err := storeBlobs(ctx, tx, b); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return prepared{ids: b.ids}, err // the ids, for isolate to set a lone message aside
	}
	return b, nil
}

// storeBlobs stores the content of the attachments of b's parsed mail now,
// while the previous batch is applied (see ticketing.StoreBlobs). Content
// the database refuses fails the batch here, and Drain then sets the one
// message aside; Receive must never store it instead, as it would in the
// transaction that applies the batch: a shared file (a signature logo)
// that the next batch, prepared meanwhile, stored already would then make
// it wait on a transaction that commits only after it, for good.
func storeBlobs(ctx context.Context, tx pgx.Tx, b prepared) error {
	var received []*ticketing.Inbound
	for _, i := range b.received() {
		received = append(received, &b.parsed[i])
	}
	return ticketing.StoreBlobs(ctx, tx, received)
}

// received are the indexes of b's messages that are handed to Receive:
// those that parsed and are not skipped.
func (b prepared) received() []int {
	var idx []int
	for i := range b.caps {
		if b.failures[i] == "" && b.caps[i].handling != HandleSkip {
			idx = append(idx, i)
		}
	}
	return idx
}

// rollback abandons a prepared batch; its messages stay pending.
func (b prepared) rollback() {
	if b.tx != nil {
		b.tx.Rollback(context.Background())
	}
}

// apply hands a prepared batch to ticketing, records each outcome and
// commits, or rolls back on error.
func (p *Processor) apply(ctx context.Context, b prepared) error {
	idx := b.received()
	ins := make([]ticketing.Inbound, len(idx))
	for k, i := range idx {
		ins[k] = b.parsed[i]
	}
	outs, err := p.desk.Load().Receive(ctx, b.tx, ins)
	if err != nil {
		b.rollback()
		return err
	}
	results := make([]ticketing.Outcome, len(b.caps))
	for i, f := range b.failures {
		if f != "" {
			results[i] = ticketing.Outcome{Status: ticketing.StatusQuarantined, Reason: f}
		} else if c := b.caps[i]; c.handling == HandleSkip {
			results[i] = ticketing.Outcome{Status: ticketing.StatusIgnored, Reason: c.handlingReason}
		}
	}
	for k, i := range idx {
		results[i] = outs[k]
	}
	if err := recordOutcomes(ctx, b.tx, b.caps, b.parsed, results); err != nil {
		b.rollback()
		return err
	}
	if err := b.tx.Commit(ctx); err != nil {
		return fmt.Errorf("mailin: committing processed mail: %w", err)
	}
	p.processed.Add(int64(len(b.ids)))
	p.committed(b, results)
	return nil
}

// committed counts a committed batch in the metrics and logs one line for
// it: how many messages, of which classes, and how long it took.
func (p *Processor) committed(b prepared, results []ticketing.Outcome) {
	took := time.Since(b.started)
	now := time.Now()
	classes := map[string]int{}
	for i, r := range results {
		class := string(b.parsed[i].Class)
		if b.failures[i] != "" {
			class = "unparsed"
		}
		classes[class]++
		// arrival first: a scrape that counts the message processed
		// sees its arrival-to-ticket time too
		if r.TicketID != 0 && b.caps[i].internalDate != nil {
			p.cfg.Metrics.Ticketed(now.Sub(*b.caps[i].internalDate))
		}
		p.cfg.Metrics.Processed(class, r.Status)
	}
	p.cfg.Metrics.Batch("process", took)
	attrs := []any{"messages", len(b.ids), "took", took.Round(time.Millisecond)}
	for _, c := range []string{"human", "auto_reply", "bounce", "list", "loop", "unparsed"} {
		if classes[c] > 0 {
			attrs = append(attrs, c, classes[c])
		}
	}
	p.log.Info("mailin: processed a batch", attrs...)
}

// batch claims up to limit pending captures and processes them in one
// transaction. It returns how many it processed and which it claimed (also
// when it fails, so that a failing single message can be quarantined).
func (p *Processor) batch(ctx context.Context, limit int) (int, []int64, error) {
	b, err := p.prepare(ctx, limit)
	if err != nil || len(b.ids) == 0 {
		return 0, b.ids, err
	}
	if err := p.apply(ctx, b); err != nil {
		return 0, b.ids, err
	}
	return len(b.ids), b.ids, nil
}

// parseAll parses the batch on the configured number of workers. A
// failure is returned as the quarantine reason for that message.
func (p *Processor) parseAll(caps []captured) ([]ticketing.Inbound, []string) {
	parsed := make([]ticketing.Inbound, len(caps))
	failures := make([]string, len(caps))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(p.cfg.Workers, len(caps)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				parsed[i], failures[i] = p.parseWithin(&caps[i])
				if failures[i] == "" {
					parsed[i].Derive() // here, in parallel, rather than in the batch's transaction; not in the parse's time limit
				}
			}
		}()
	}
	for i := range caps {
		next <- i
	}
	close(next)
	wg.Wait()
	return parsed, failures
}

// parseWithin is parseOne in the message's own time slot, the parse time
// limit: when a parse is still running at the end of it, the message is
// quarantined and the batch goes on. The parse is left to end on its own
// (enmime's reads fail after the limit; the rest of parsing is linear).
func (p *Processor) parseWithin(c *captured) (ticketing.Inbound, string) {
	type result struct {
		in      ticketing.Inbound
		failure string
	}
	done := make(chan result, 1)
	go func() {
		in, failure := p.parseOne(c)
		done <- result{in, failure}
	}()
	slot := time.NewTimer(p.cfg.Parse.Limits.Timeout)
	defer slot.Stop()
	select {
	case r := <-done:
		return r.in, r.failure
	case <-slot.C:
		p.log.Warn("parsing a message took longer than the limit; it is quarantined", "inbound", c.id, "limit", p.cfg.Parse.Limits.Timeout)
		return ticketing.Inbound{}, parse.TimeoutError(p.cfg.Parse.Limits.Timeout).Error()
	}
}

func (p *Processor) parseOne(c *captured) (in ticketing.Inbound, failure string) {
	defer func() {
		if r := recover(); r != nil {
			failure = fmt.Sprintf("parse: parser crashed on this message: %v", r)
		}
	}()
	t0 := time.Now()
	in, err := p.parse(c.raw, p.cfg.Parse)
	p.cfg.Metrics.Parsed(time.Since(t0))
	if err != nil {
		return in, err.Error()
	}
	in.CaptureID, in.Mailbox, in.Queue = c.id, c.mailbox, p.cfg.Queues[c.mailbox]
	if c.handling == HandleQuiet {
		in.Quiet = c.handlingReason
	}
	if in.Queue == "" {
		in.Queue = c.mailbox
	}
	if c.truncated {
		in.Truncated = true
		why := fmt.Sprintf("This message was %s, over the size limit, so deskgate kept only its header.", humanSize(c.size))
		if c.reason != "" && !strings.Contains(c.reason, "limit") {
			why = "deskgate could not fetch this message whole: " + c.reason + "."
		}
		in.Text = why + fmt.Sprintf(" The complete message is still on the mail server of the desk mailbox %q "+
			"(IMAP UID %d when it was captured).", c.mailbox, c.uid)
		in.HTML = ""
	}
	// What this message adds to the conversation, for rules and agents,
	// and the language it is written in.
	qo := quote.Options{Markers: p.cfg.Markers}
	if in.Text != "" {
		in.NewText = quote.Text(in.Text, qo)
	} else if in.HTML != "" {
		in.NewText = quote.HTML(in.HTML, qo)
	}
	if !in.Truncated {
		in.DetectedLanguage = parse.DetectLanguage(in.NewText)
	}
	return in, ""
}

const recordOutcomesSQL = `
UPDATE inbound i SET status = u.status, reason = u.reason, ticket_id = nullif(u.ticket, 0),
    message_id = u.message_id, subject = u.subject, from_name = u.from_name, from_addr = u.from_addr,
    class = u.class, text_body = u.text_body, evidence_kind = u.evidence_kind, evidence_value = u.evidence_value,
    processed_at = now(), attempts = i.attempts + 1
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
    AS u(id, status, reason, ticket, message_id, subject, from_name, from_addr, class, text_body,
         evidence_kind, evidence_value)
WHERE i.id = u.id`

func recordOutcomes(ctx context.Context, tx pgx.Tx, caps []captured, parsed []ticketing.Inbound, res []ticketing.Outcome) error {
	n := len(caps)
	ids, tickets := make([]int64, n), make([]int64, n)
	cols := make([][]string, 10)
	for k := range cols {
		cols[k] = make([]string, n)
	}
	for i := range caps {
		in := &parsed[i]
		ids[i], tickets[i] = caps[i].id, res[i].TicketID
		text := in.Text // kept here only when no ticket message holds it (the listing reads it there)
		if res[i].TicketID != 0 && res[i].Evidence.Kind != ticketing.EvidenceDuplicate {
			text = ""
		}
		for k, v := range []string{res[i].Status, res[i].Reason, in.MessageID, in.Subject,
			in.From.Name, in.From.Address, string(in.Class), text, res[i].Evidence.Kind, res[i].Evidence.Value} {
			cols[k][i] = v
		}
	}
	_, err := tx.Exec(ctx, recordOutcomesSQL, ids, cols[0], cols[1], tickets, cols[2], cols[3], cols[4], cols[5], cols[6], cols[7],
		cols[8], cols[9])
	if err != nil {
		return fmt.Errorf("mailin: recording outcomes: %w", err)
	}
	return nil
}

const quarantineSQL = `
UPDATE inbound SET status = 'quarantined', reason = $2, processed_at = now(), attempts = attempts + 1
WHERE id = $1 AND status = 'pending'`

// quarantine sets aside captured message id, which failed alone with cause.
func (p *Processor) quarantine(ctx context.Context, id int64, cause error) error {
	if _, err := p.pool.Exec(ctx, quarantineSQL, id, "processing failed: "+cause.Error()); err != nil {
		return fmt.Errorf("mailin: quarantining inbound %d: %w", id, err)
	}
	p.cfg.Metrics.Processed("unparsed", ticketing.StatusQuarantined)
	p.log.Error("quarantined a message that cannot be processed", "inbound", id, "err", cause)
	return nil
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// ParseMessage turns raw into an Inbound exactly as the processor does for
// mail captured in mailbox (parsing, classification, quote stripping,
// language detection), without a database: for `deskgate rules test`.
func ParseMessage(raw []byte, mailbox string, cfg ProcessorConfig) (ticketing.Inbound, error) {
	p := &Processor{cfg: cfg, parse: parse.Message}
	in, failure := p.parseOne(&captured{raw: raw, mailbox: mailbox, size: int64(len(raw))})
	if failure != "" {
		return in, errors.New(failure)
	}
	return in, nil
}
