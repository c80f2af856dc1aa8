package mailin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/outage"
	"github.com/deskgate/deskgate/owner"
)

// Syncer captures the mail of one Mailbox into the inbound table, exactly
// once, while it holds the mailbox's lease. Any number of Syncers, in any
// number of processes, may run for the same mailbox: one syncs, the others
// stand by and take over within about LeaseTTL when it stops, or at once
// when its owner id names a dead process of their own host (see package
// owner).
//
// Faults are logged by their source, the database or the IMAP server,
// through an outage.Tracker each: one WARN when a fault starts, one ERROR
// if it lasts, one INFO when it ends. A login the server rejects is an
// ERROR every time.
type Syncer struct {
	pool     *pgxpool.Pool
	mb       Mailbox
	owner    string
	log      *slog.Logger
	captured func()
	db, imap *outage.Tracker // db may be shared; Run sets what is nil

	backoffBase time.Duration // 1s; tests lower it
	backoffMax  time.Duration
	hooks       hooks
	warnedMove  bool
	batches     int           // capture transactions attempted, for hooks
	persistent  time.Duration // when a fault is called lasting; tests lower it
	heartbeat   time.Duration // DefaultHeartbeat; tests lower it
	state       *recorder     // the mailbox's recorded state, while we hold the lease
}

// maxStandbyRetry bounds how long a standby waits between attempts to take
// the lease, so that a released lease is taken over within seconds even with
// a long TTL.
const maxStandbyRetry = 2 * time.Second

// hooks let tests simulate crashes at the interesting points.
type hooks struct {
	beforeCommit func(batch int) error // inside the capture transaction; an error rolls it back
	afterCommit  func(batch int)       // after commit, before marking on the server
	noRelease    bool                  // do not release the lease on shutdown (simulates death)
	acquired     func(ok bool)         // after each attempt to take the lease
}

// NewSyncer returns a Syncer for mb. owner identifies this process in the
// lease (owner.New()) and must differ between processes. db tracks the
// process's database faults, so that one outage is logged once however many
// mailboxes and processors see it; nil gives the Syncer a tracker of its
// own. captured, if not nil, is called after each committed batch that
// recorded new messages; it must not block. Zero fields of mb get their
// defaults.
func NewSyncer(pool *pgxpool.Pool, mb Mailbox, owner string, log *slog.Logger, db *outage.Tracker, captured func()) *Syncer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Syncer{
		pool:        pool,
		mb:          mb.withDefaults(),
		owner:       owner,
		log:         log.With("mailbox", mb.Name),
		captured:    captured,
		db:          db,
		backoffBase: time.Second,
		backoffMax:  4 * time.Minute,
		heartbeat:   DefaultHeartbeat,
	}
}

// Run syncs the mailbox until ctx is done, then releases the lease and
// returns nil. It returns an error at once if the configuration is invalid;
// network, server and database errors are logged and retried with back-off.
func (s *Syncer) Run(ctx context.Context) error {
	if err := s.mb.Validate(); err != nil {
		return err
	}
	if s.db == nil {
		s.db = outage.New(s.log, outage.Database, s.persistent)
	}
	s.imap = outage.New(s.log, outage.IMAP, s.persistent)
	bo := backoff{base: s.backoffBase, max: s.backoffMax}
	for {
		err := ensureMailbox(ctx, s.pool, s.mb.Name)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		d := retryIn(&bo, err)
		s.db.Fail("mailin: cannot create mailbox row; retrying", err, "retry_in", d.Round(time.Millisecond))
		if !sleep(ctx, d) {
			return nil
		}
	}
	standby := false
	for {
		ok, err := s.acquire(ctx)
		if s.hooks.acquired != nil {
			s.hooks.acquired(ok)
		}
		if ctx.Err() != nil {
			if ok || err != nil {
				// It may be ours even if acquire saw the cancellation:
				// the database can commit before it answers.
				s.release()
			}
			return nil
		}
		switch {
		case err != nil:
			s.db.Fail("mailin: cannot acquire lease; retrying", err)
		case ok:
			s.dbOK()
			s.log.Info("mailin: lease acquired; syncing", "owner", s.owner)
			standby = false
			err := s.lead(ctx)
			if ctx.Err() != nil {
				s.release()
				return nil
			}
			if fromDatabase(err) { // the database fault is logged already
				s.log.Info("mailin: lease not renewed while the database is unavailable; standing by", "err", err)
			} else {
				s.log.Warn("mailin: lease lost; standing by", "err", err)
			}
		case !standby:
			s.dbOK()
			s.log.Info("mailin: mailbox synced by another process; standing by")
			standby = true
		}
		if !sleep(ctx, jitter(min(s.mb.LeaseTTL/5, maxStandbyRetry))) {
			return nil
		}
	}
}

// acquire takes the lease if it is free, expired or ours, or if it is held
// by a dead process of this host (a predecessor killed before it could
// release it), and reports whether we hold it now.
func (s *Syncer) acquire(ctx context.Context) (bool, error) {
	ok, err := acquireLease(ctx, s.pool, s.mb.Name, s.owner, s.mb.LeaseTTL)
	if ok || err != nil {
		return ok, err
	}
	holder, err := leaseOwner(ctx, s.pool, s.mb.Name)
	if err != nil || holder == "" || !owner.Dead(holder) {
		return false, err
	}
	ok, err = takeLease(ctx, s.pool, s.mb.Name, holder, s.owner, s.mb.LeaseTTL)
	if ok {
		s.log.Info("mailin: took over the lease of a dead process on this host", "previous_owner", holder)
	}
	return ok, err
}

// dbOK records that the database answered.
func (s *Syncer) dbOK() { s.db.OK("mailin: database reachable again") }

func (s *Syncer) release() {
	if s.hooks.noRelease {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	held, err := releaseLease(ctx, s.pool, s.mb.Name, s.owner)
	if err != nil {
		s.log.Warn("mailin: cannot release lease", "source", outage.Database, "err", err)
		return
	}
	if held {
		s.log.Info("mailin: lease released")
	}
}

// lead syncs while we hold the lease: it renews the lease in the background
// and reconnects with back-off after errors. It returns when ctx is done or
// the lease is lost.
func (s *Syncer) lead(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	wg.Go(func() { s.renew(ctx, cancel) })
	defer wg.Wait()
	defer cancel(nil)

	s.state = &recorder{pool: s.pool, name: s.mb.Name, owner: s.owner, every: s.heartbeat, log: s.log}
	bo := backoff{base: s.backoffBase, max: s.backoffMax}
	for {
		err := s.session(ctx, &bo)
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if errors.Is(err, errLeaseLost) {
			return err
		}
		if errors.Is(err, errTokenRenewed) {
			s.log.Debug(err.Error())
			s.state.renewing()
			continue
		}
		if !fromDatabase(err) {
			s.state.failed(ctx, err)
			s.mb.Metrics.IMAPFailed(s.mb.Name, AuthFailed(err))
		}
		d := retryIn(&bo, err)
		s.fault(err, "retry_in", d.Round(time.Millisecond))
		if !sleep(ctx, d) {
			return context.Cause(ctx)
		}
	}
}

// maxRetryWait bounds the wait between attempts after an outage of the
// database or the IMAP server, so that sync resumes within seconds of its
// end even after minutes; a rejected login backs off up to backoffMax,
// since retrying a wrong password often can lock the account.
const maxRetryWait = 15 * time.Second

// retryIn returns how long to wait before the next attempt after err.
func retryIn(bo *backoff, err error) time.Duration {
	d := bo.next()
	if AuthFailed(err) {
		return d
	}
	return min(d, jitter(maxRetryWait))
}

// fault logs a failed session through the tracker of its source.
func (s *Syncer) fault(err error, attrs ...any) {
	switch {
	case fromDatabase(err):
		s.db.Fail("mailin: database unavailable; syncing paused", err, attrs...)
	case AuthFailed(err):
		s.log.Error("mailin: IMAP login rejected; check the mailbox's credentials", append([]any{"source", outage.IMAP, "err", err}, attrs...)...)
	default:
		s.imap.Fail("mailin: IMAP session failed; reconnecting", err, attrs...)
	}
}

// renew extends the lease every LeaseTTL/3 and cancels ctx with
// errLeaseLost when another process has taken it, or when it could not be
// renewed for a whole TTL (it may have been taken; the capture fence would
// refuse our writes anyway).
func (s *Syncer) renew(ctx context.Context, cancel context.CancelCauseFunc) {
	ttl := s.mb.LeaseTTL
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := renewLease(ctx, s.pool, s.mb.Name, s.owner, ttl)
		switch {
		case err == nil:
			last = time.Now()
			s.dbOK()
		case errors.Is(err, errLeaseLost):
			cancel(errLeaseLost)
			return
		case ctx.Err() != nil:
			return
		default:
			s.db.Fail("mailin: cannot renew lease", err)
			if time.Since(last) >= ttl {
				cancel(fmt.Errorf("%w: not renewed for %v: %w", errLeaseLost, ttl, err))
				return
			}
		}
	}
}

// conn is one IMAP session with the folder selected.
type conn struct {
	c           *client
	news        chan struct{} // a token after each unsolicited EXISTS
	uidValidity uint32
	lastUID     uint32
	canIdle     bool
	canMove     bool
	first       firstStart // where the mail there before the first start ends
}

// session connects, selects the folder and syncs until an error or ctx is
// done. A successful sync resets bo.
func (s *Syncer) session(ctx context.Context, bo *backoff) error {
	news := make(chan struct{}, 1)
	handler := &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case news <- struct{}{}:
				default:
				}
			}
		},
	}
	c, err := dial(ctx, s.mb, handler)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	cn := &conn{c: c, news: news}
	var sel *imap.SelectData
	err = s.guard(c, fmt.Sprintf("SELECT %q", s.mb.Folder), func() error {
		var err error
		sel, err = c.Select(s.mb.Folder, nil).Wait()
		if err != nil {
			return err
		}
		caps := c.Caps()
		cn.canIdle, cn.canMove = caps.Has(imap.CapIdle), caps.Has(imap.CapMove)
		return nil
	})
	if err != nil {
		return err
	}
	if s.mb.MoveTo != "" && !cn.canMove && !s.warnedMove {
		s.warnedMove = true
		s.log.Error("mailin: server lacks MOVE; captured mail stays in the folder and gets a keyword instead",
			"move_to", s.mb.MoveTo, "keyword", s.keyword(cn))
	}

	storedValidity, storedLast, err := loadCursor(ctx, s.pool, s.mb.Name)
	if err != nil {
		return err
	}
	s.dbOK()
	cn.uidValidity = sel.UIDValidity
	cn.lastUID = storedLast
	if storedValidity != sel.UIDValidity {
		if storedValidity != 0 {
			s.log.Warn("mailin: UIDVALIDITY changed; rescanning the folder (already captured messages are recognised by their SHA-256)",
				"folder", s.mb.Folder, "old", storedValidity, "new", sel.UIDValidity)
		}
		cn.lastUID = 0
		if _, err := capture(ctx, s.pool, nil, s.mb.Name, s.owner, cn.uidValidity, 0, nil, nil); err != nil {
			return err
		}
	}
	if err := s.firstSelect(ctx, cn, uint32(sel.UIDNext)); err != nil {
		return err
	}
	s.state.connected(ctx, behindAtSelect(sel, cn.lastUID))
	s.mb.Metrics.IMAPConnected(s.mb.Name)
	s.log.Debug("mailin: connected", "folder", s.mb.Folder, "uidvalidity", cn.uidValidity, "last_uid", cn.lastUID,
		"idle", cn.canIdle, "move", cn.canMove)

	for {
		select { // news already pending is handled by the sync below
		case <-news:
		default:
		}
		if err := s.sync(ctx, cn); err != nil {
			return err
		}
		s.imap.OK("mailin: mailbox reachable again")
		s.dbOK()
		s.state.synced(ctx)
		bo.reset()
		if cn.canIdle {
			err = s.idle(ctx, cn)
		} else {
			err = s.poll(ctx, cn)
		}
		if err != nil {
			return err
		}
		if renew := s.mb.renewAt(); !renew.IsZero() && !time.Now().Before(renew) {
			// Log out before the server ends the session at the token's
			// expiry; the next session logs in with a fresh token.
			_ = s.guard(c, "LOGOUT", func() error { return c.Logout().Wait() })
			return errTokenRenewed
		}
	}
}

// errTokenRenewed ends a session whose OAuth2 token is due for renewal; a
// new session follows at once.
var errTokenRenewed = errors.New("mailin: OAuth2 token due for renewal; logging in again")

// guard runs one IMAP exchange under the watchdog, which drops the
// connection once it has received nothing for CommandTimeout.
func (s *Syncer) guard(c *client, what string, f func() error) error {
	w := watch(c.act, s.mb.CommandTimeout, func() { c.Close() })
	err := f()
	if w.stop() {
		return fmt.Errorf("mailin: IMAP %s: %w (nothing received for %v); connection dropped", what, errTimeout, s.mb.CommandTimeout)
	}
	if err != nil {
		return fmt.Errorf("mailin: IMAP %s: %w", what, err)
	}
	return nil
}

// idle waits in IDLE for an unsolicited EXISTS, at most IdleRefresh.
func (s *Syncer) idle(ctx context.Context, cn *conn) error {
	var cmd *imapclient.IdleCommand
	err := s.guard(cn.c, "IDLE", func() error {
		var err error
		cmd, err = cn.c.Idle()
		return err
	})
	if err != nil {
		return err
	}
	wait := s.mb.IdleRefresh
	if renew := s.mb.renewAt(); !renew.IsZero() {
		wait = min(wait, max(time.Until(renew), 0))
	}
	t := time.NewTimer(wait)
	select {
	case <-cn.news:
		s.mb.Metrics.IdleWakeup(s.mb.Name)
	case <-t.C:
	case <-ctx.Done():
	case <-cn.c.Closed():
	}
	t.Stop()
	return s.guard(cn.c, "DONE", func() error {
		if err := cmd.Close(); err != nil {
			return err
		}
		return cmd.Wait()
	})
}

// poll waits PollInterval, then sends NOOP.
func (s *Syncer) poll(ctx context.Context, cn *conn) error {
	t := time.NewTimer(s.mb.PollInterval)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	case <-cn.c.Closed():
		return errors.New("mailin: connection closed")
	}
	return s.guard(cn.c, "NOOP", func() error { return cn.c.Noop().Wait() })
}

// msgInfo is what the size scan learns about a new message.
type msgInfo struct {
	uid          uint32
	size         int64
	internalDate time.Time
}

// sync captures every message above the cursor, batch by batch.
func (s *Syncer) sync(ctx context.Context, cn *conn) error {
	var infos []msgInfo
	err := s.guard(cn.c, "UID FETCH (sizes)", func() error {
		// n:* always returns the highest message even when n is above it:
		// keep only UIDs above the cursor.
		cmd := cn.c.Fetch(imap.UIDSet{{Start: imap.UID(cn.lastUID + 1), Stop: 0}},
			&imap.FetchOptions{UID: true, RFC822Size: true, InternalDate: true})
		for m := cmd.Next(); m != nil; m = cmd.Next() {
			buf, err := m.Collect()
			if err != nil {
				cmd.Close()
				return err
			}
			if uint32(buf.UID) > cn.lastUID {
				infos = append(infos, msgInfo{uid: uint32(buf.UID), size: buf.RFC822Size, internalDate: buf.InternalDate})
			}
		}
		return cmd.Close()
	})
	if err != nil {
		return err
	}
	slices.SortFunc(infos, func(a, b msgInfo) int { return int(int64(a.uid) - int64(b.uid)) })
	if err := s.settleFirstStart(ctx, cn, infos); err != nil {
		return err
	}
	all := infos
	s.state.catchingUp(ctx, int64(len(all)), s.mb.BatchSize)
	prog := startProgress(s.log, len(infos), s.mb.progressEvery)
	caughtUp := false
	defer func() { prog.end(caughtUp) }()
	// Pipelined: while one batch is stored, the next is fetched. Batches
	// are stored strictly in order, each only after the previous committed,
	// and marked on the server only once committed.
	var stored chan error
	var pending batch
	for len(infos) > 0 || stored != nil {
		var next batch
		var fetchErr error
		if len(infos) > 0 {
			n := s.batchLen(infos)
			next, fetchErr = s.fetch(cn, infos[:n])
			infos = infos[n:]
		}
		if stored != nil {
			if err := <-stored; err != nil {
				return err
			}
			stored = nil
			cn.lastUID = pending.lastUID
			s.state.catchingUp(ctx, above(all, cn.lastUID), s.mb.BatchSize)
			prog.add(pending.n)
			if err := s.markCaptured(ctx, cn, pending.msgs); err != nil {
				return err
			}
		}
		if fetchErr != nil {
			return fetchErr
		}
		now := time.Now()
		for i := range next.msgs {
			s.decide(cn, &next.msgs[i], now)
		}
		if next.lastUID != 0 {
			pending, stored = next, make(chan error, 1)
			go func(b batch, done chan<- error) { done <- s.store(ctx, cn.uidValidity, b) }(next, stored)
		}
	}
	caughtUp = true
	return nil
}

// batch is one fetched batch: the messages still on the server, and the
// highest UID it covered (the cursor passes it even if all vanished).
type batch struct {
	msgs    []fetchedMessage
	lastUID uint32
	n       int // the messages of the size scan it covered
	fetched time.Duration
}

// batchLen is how many of infos make the next batch: at most BatchSize
// messages and about maxBatchBytes of raw mail.
func (s *Syncer) batchLen(infos []msgInfo) int {
	n, bytes := 0, int64(0)
	for n < len(infos) && n < s.mb.BatchSize {
		sz := min(infos[n].size, headerSizeGuess)
		if infos[n].size <= s.mb.MaxMessageSize {
			sz = infos[n].size
		}
		if n > 0 && bytes+sz > maxBatchBytes {
			break
		}
		bytes += sz
		n++
	}
	return n
}

// fetch fetches one batch. A message the batch fetch did not return —
// because the server refused the command (a tagged NO or BAD, as Exchange
// answers for a message it cannot convert) or answered OK without it — is
// fetched again on its own; if it is still in the folder and still cannot
// be fetched, a stub with the reason takes its place, so that one bad
// message never stalls the mailbox. Only a message the server confirms is
// gone is passed over. A network error fails the whole batch.
func (s *Syncer) fetch(cn *conn, infos []msgInfo) (batch, error) {
	t0 := time.Now()
	msgs, err := s.fetchBatch(cn, infos)
	if err != nil {
		if _, refused := serverRefusal(err); !refused {
			return batch{}, err
		}
		s.log.Warn("mailin: server refused to fetch a batch; fetching its messages one at a time",
			"uids", fmt.Sprintf("%d:%d", infos[0].uid, infos[len(infos)-1].uid), "err", err)
	}
	if len(msgs) < len(infos) {
		got := make(map[uint32]bool, len(msgs))
		for _, m := range msgs {
			got[m.uid] = true
		}
		for _, in := range infos {
			if got[in.uid] {
				continue
			}
			fm, ok, err := s.fetchAlone(cn, in)
			if err != nil {
				return batch{}, err
			}
			if ok {
				msgs = append(msgs, fm)
			}
		}
		slices.SortFunc(msgs, func(a, b fetchedMessage) int { return int(int64(a.uid) - int64(b.uid)) })
	}
	return batch{msgs: msgs, lastUID: infos[len(infos)-1].uid, n: len(infos), fetched: time.Since(t0)}, nil
}

// fetchAlone fetches one message that a batch fetch did not return. ok is
// false only when the server confirms the message is gone; a message it
// keeps but will not return becomes a truncated stub holding its header,
// if the server returns that, and the reason.
func (s *Syncer) fetchAlone(cn *conn, in msgInfo) (fm fetchedMessage, ok bool, err error) {
	over := in.size > s.mb.MaxMessageSize
	fm, ok, err = s.fetchOne(cn, in, over)
	if ok || err != nil {
		return fm, ok, err
	}
	exists, err := s.exists(cn, in.uid)
	if err != nil {
		return fm, false, err
	}
	if !exists {
		s.log.Warn("mailin: message vanished from the server before it could be captured", "uid", in.uid)
		return fm, false, nil
	}
	reason := "the IMAP server did not return this message's content, although the message is still in the folder"
	if fm.reason != "" {
		reason = fm.reason
	}
	stub := fetchedMessage{uid: in.uid, size: in.size, internalDate: in.internalDate, truncated: true, reason: reason}
	if !over {
		if h, ok, err := s.fetchOne(cn, in, true); err != nil {
			return fm, false, err
		} else if ok {
			stub.raw = h.raw
		}
	}
	if len(stub.raw) == 0 {
		stub.raw = []byte{}
		stub.reason += "; not even its header could be fetched"
	} else {
		stub.reason += "; only its header was captured"
	}
	s.log.Warn("mailin: cannot fetch message; capturing a stub with the reason", "uid", in.uid, "reason", stub.reason)
	return stub, true, nil
}

// fetchOne fetches message in (only its header if header is true) with
// its own command. When the server refuses, ok is false, err is nil and
// fm.reason quotes the server; when it answers OK without the message, ok
// is false and fm.reason is empty. err is a network error.
func (s *Syncer) fetchOne(cn *conn, in msgInfo, header bool) (fm fetchedMessage, ok bool, err error) {
	section := &imap.FetchItemBodySection{Peek: true}
	if header {
		section.Specifier = imap.PartSpecifierHeader
	}
	var netErr error
	err = s.guard(cn.c, fmt.Sprintf("UID FETCH %d", in.uid), func() error {
		cmd := cn.c.Fetch(imap.UIDSetNum(imap.UID(in.uid)), &imap.FetchOptions{UID: true,
			BodySection: []*imap.FetchItemBodySection{section}})
		for m := cmd.Next(); m != nil; m = cmd.Next() {
			got, gotOK, err := readMessage(m)
			if err != nil && netErr == nil {
				netErr = err
			}
			if gotOK && got.uid == in.uid && !ok {
				fm, ok = got, true
			}
		}
		err := cmd.Close()
		if netErr != nil {
			return netErr
		}
		return err
	})
	if err != nil {
		text, refused := serverRefusal(err)
		if !refused {
			return fetchedMessage{}, false, err
		}
		return fetchedMessage{reason: `the IMAP server refused to return this message: "` + text + `"`}, false, nil
	}
	if !ok {
		return fetchedMessage{}, false, nil
	}
	fm.internalDate, fm.truncated, fm.size = in.internalDate, header, int64(len(fm.raw))
	if header {
		fm.size = in.size
		if in.size > s.mb.MaxMessageSize {
			fm.reason = oversizeReason(in.size, s.mb.MaxMessageSize)
		}
	}
	return fm, true, nil
}

// exists reports whether message uid is still in the folder, asking with
// UID SEARCH. If the server refuses to search, the message is taken to
// exist: capturing a stub is better than skipping a message.
func (s *Syncer) exists(cn *conn, uid uint32) (bool, error) {
	var found bool
	err := s.guard(cn.c, fmt.Sprintf("UID SEARCH UID %d", uid), func() error {
		data, err := cn.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(imap.UID(uid))}}, nil).Wait()
		if err != nil {
			return err
		}
		found = slices.Contains(data.AllUIDs(), imap.UID(uid))
		return nil
	})
	if err != nil {
		if _, refused := serverRefusal(err); refused {
			s.log.Warn("mailin: server refused to say whether a message still exists; assuming it does", "uid", uid, "err", err)
			return true, nil
		}
		return false, err
	}
	return found, nil
}

// serverRefusal reports whether err is the server's tagged NO or BAD, as
// opposed to a network error or a timeout, and returns the server's text.
func serverRefusal(err error) (text string, ok bool) {
	var ie *imap.Error
	if !errors.As(err, &ie) || (ie.Type != imap.StatusResponseTypeNo && ie.Type != imap.StatusResponseTypeBad) {
		return "", false
	}
	text = ie.Text
	if ie.Code != "" {
		text = fmt.Sprintf("[%s] %s", ie.Code, text)
	}
	if ie.Type == imap.StatusResponseTypeBad {
		text = "BAD " + text
	}
	return text, true
}

// oversizeReason is the stored reason of a header-only stub of an
// oversize message.
func oversizeReason(size, limit int64) string {
	return fmt.Sprintf("message is %d bytes, over the %d-byte limit; only its header was captured", size, limit)
}

// handoffWait bounds how long a capture waits for room in the handoff: a
// processor that is slower than capture, or busy elsewhere, holds capture
// back by at most this much per batch.
const handoffWait = 2 * time.Second

// store captures one fetched batch and advances the cursor past it. It
// runs beside the next fetch, so it touches the database only.
func (s *Syncer) store(ctx context.Context, uidValidity uint32, b batch) error {
	t0 := time.Now()
	s.batches++
	batchNo := s.batches
	var before func() error
	if s.hooks.beforeCommit != nil {
		before = func() error { return s.hooks.beforeCommit(batchNo) }
	}
	need := 0
	for _, m := range b.msgs {
		need += len(m.raw)
	}
	s.mb.Handoff.room(ctx, need, handoffWait)
	inserted, err := capture(ctx, s.pool, s.mb.Handoff, s.mb.Name, s.owner, uidValidity, b.lastUID, b.msgs, before)
	if err != nil {
		return err
	}
	s.mb.Metrics.Captured(s.mb.Name, inserted)
	s.mb.Metrics.Batch("capture", time.Since(t0))
	s.log.Debug("mailin: captured", "messages", len(b.msgs), "new", inserted, "last_uid", b.lastUID,
		"fetch", b.fetched.Round(time.Millisecond), "store", time.Since(t0).Round(time.Millisecond))
	if inserted > 0 && s.captured != nil {
		s.captured()
	}
	if s.hooks.afterCommit != nil {
		s.hooks.afterCommit(batchNo)
	}
	return nil
}

// markCaptured marks committed messages on the server.
func (s *Syncer) markCaptured(ctx context.Context, cn *conn, msgs []fetchedMessage) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var uids imap.UIDSet
	for _, m := range msgs {
		uids.AddNum(imap.UID(m.uid))
	}
	if len(uids) == 0 {
		return nil
	}
	return s.mark(ctx, cn, uids)
}

// fetchBatch fetches the bodies of batch with BODY.PEEK[], and only the
// header of oversize messages, in two pipelined commands. If the server
// refuses a command (NO or BAD) it returns the messages it did receive and
// the refusal; a network error takes precedence over a refusal.
func (s *Syncer) fetchBatch(cn *conn, batch []msgInfo) ([]fetchedMessage, error) {
	var full, over imap.UIDSet
	info := make(map[uint32]msgInfo, len(batch))
	for _, b := range batch {
		info[b.uid] = b
		if b.size > s.mb.MaxMessageSize {
			over.AddNum(imap.UID(b.uid))
		} else {
			full.AddNum(imap.UID(b.uid))
		}
	}
	msgs := make([]fetchedMessage, 0, len(batch))
	err := s.guard(cn.c, "UID FETCH (bodies)", func() error {
		var cmds []*imapclient.FetchCommand
		var truncated []bool
		if len(full) > 0 {
			cmds = append(cmds, cn.c.Fetch(full, &imap.FetchOptions{UID: true,
				BodySection: []*imap.FetchItemBodySection{{Peek: true}}}))
			truncated = append(truncated, false)
		}
		if len(over) > 0 {
			cmds = append(cmds, cn.c.Fetch(over, &imap.FetchOptions{UID: true,
				BodySection: []*imap.FetchItemBodySection{{Peek: true, Specifier: imap.PartSpecifierHeader}}}))
			truncated = append(truncated, true)
		}
		var netErr, refusal error
		note := func(err error) {
			if _, refused := serverRefusal(err); refused {
				refusal = cmp.Or(refusal, err)
			} else {
				netErr = cmp.Or(netErr, err)
			}
		}
		got := make(map[uint32]bool, len(batch))
		for i, cmd := range cmds {
			for m := cmd.Next(); m != nil; m = cmd.Next() {
				fm, ok, err := readMessage(m)
				if err != nil {
					note(err)
				}
				in, known := info[fm.uid]
				if !ok || !known || got[fm.uid] {
					continue
				}
				got[fm.uid] = true
				fm.truncated = truncated[i]
				fm.internalDate = in.internalDate
				fm.size = int64(len(fm.raw))
				if fm.truncated {
					fm.size = in.size
					fm.reason = oversizeReason(in.size, s.mb.MaxMessageSize)
				}
				msgs = append(msgs, fm)
			}
			if err := cmd.Close(); err != nil {
				note(err)
			}
		}
		return cmp.Or(netErr, refusal)
	})
	slices.SortFunc(msgs, func(a, b fetchedMessage) int { return int(int64(a.uid) - int64(b.uid)) })
	if err != nil {
		if _, refused := serverRefusal(err); !refused {
			return nil, err
		}
	}
	return msgs, err
}

// readMessage reads the UID and the body section of one FETCH response.
// ok is false when the response carries no body (e.g. an unsolicited flags
// update).
func readMessage(m *imapclient.FetchMessageData) (fm fetchedMessage, ok bool, err error) {
	for item := m.Next(); item != nil; item = m.Next() {
		switch item := item.(type) {
		case imapclient.FetchItemDataUID:
			fm.uid = uint32(item.UID)
		case imapclient.FetchItemDataBodySection:
			if item.Literal == nil {
				continue
			}
			buf := make([]byte, item.Literal.Size())
			if _, err := io.ReadFull(item.Literal, buf); err != nil {
				return fm, false, err
			}
			fm.raw, ok = buf, true
		}
	}
	return fm, ok && fm.uid != 0, nil
}

// keyword returns the keyword to set on captured mail on this connection.
func (s *Syncer) keyword(cn *conn) string {
	if s.mb.MarkNone {
		return ""
	}
	if s.mb.MoveTo != "" && !cn.canMove && s.mb.MarkKeyword == "" {
		return DefaultMarkKeyword
	}
	return s.mb.MarkKeyword
}

// mark flags captured messages with the keyword and, when configured and
// supported, moves them. The cursor already records that they are
// captured, so marking is best effort: the server's refusal is logged, and
// a lost connection ends the session like any other (a message whose MOVE
// was cut short stays in the folder, is in the target, or in both, and is
// never captured again).
func (s *Syncer) mark(ctx context.Context, cn *conn, uids imap.UIDSet) error {
	if kw := s.keyword(cn); kw != "" {
		err := s.guard(cn.c, "UID STORE", func() error {
			return cn.c.Store(uids, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true,
				Flags: []imap.Flag{imap.Flag(kw)}}, nil).Close()
		})
		if _, refused := serverRefusal(err); refused {
			s.log.Warn("mailin: cannot set keyword on captured mail", "keyword", kw, "uids", uids.String(), "err", err)
		} else if err != nil {
			return err
		}
	}
	if s.mb.MoveTo != "" && cn.canMove && ctx.Err() == nil {
		// Only with the MOVE capability: without it imapclient's Move would
		// fall back to COPY + STORE \Deleted + EXPUNGE, which may expunge
		// messages someone else marked \Deleted.
		err := s.guard(cn.c, "UID MOVE", func() error {
			_, err := cn.c.Move(uids, s.mb.MoveTo).Wait()
			return err
		})
		if _, refused := serverRefusal(err); refused {
			s.log.Warn("mailin: cannot move captured mail", "move_to", s.mb.MoveTo, "uids", uids.String(), "err", err)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// backoff is capped exponential back-off with jitter.
type backoff struct {
	base, max time.Duration
	n         int
}

func (b *backoff) next() time.Duration {
	d := b.base
	for i := 0; i < b.n && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	b.n++
	return jitter(d)
}

func (b *backoff) reset() { b.n = 0 }

// jitter returns a random duration between d/2 and d.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

// sleep waits d and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
