package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/ticketing"
)

// A sign-in link carries a random 256-bit token; the database keeps only
// its SHA-256, with the agent it was sent to, when it expires (15 minutes)
// and when it was used. Opening the link (GET) shows a button; only the
// button's POST uses it up, so a mail scanner that fetches links signs
// nobody in. The session it opens is another random token in an HttpOnly,
// SameSite=Strict cookie (Secure when http.public_url is https), kept as a
// hash for 12 hours.

func newToken() (token string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashOf(token)
}

func hashOf(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// home is the overview when signed in, the sign-in form otherwise.
func (d *Dashboard) home(w http.ResponseWriter, r *http.Request) {
	agent, err := d.agentOf(r)
	if err != nil {
		d.failErr(w, r, err)
		return
	}
	if agent == "" {
		d.render(w, r, http.StatusOK, "signin", page{Title: "Sign in"})
		return
	}
	d.overview(w, r, agent)
}

// linksPerHour is how many sign-in links an agent is mailed in an hour at
// most, so that the form cannot be used to flood an agent's inbox.
const linksPerHour = 5

const recentLinksSQL = `SELECT count(*) FROM dashboard_links WHERE agent = $1 AND created_at > $2`

const insertLinkSQL = `INSERT INTO dashboard_links (hash, agent, created_at, expires_at) VALUES ($1, $2, $3, $4)`

// insertSignInMailSQL queues the sign-in mail; it is personal mail (not
// automatic), sent by serve's outbox sender like any other.
const insertSignInMailSQL = `
INSERT INTO outbox (event, automatic, recipient, message_id, from_name, from_addr, to_addrs, subject, text_body)
VALUES ('dashboard.signin', false, $1, $2, $3, $4, $5::jsonb, $6, $7)`

// requestLink mails a sign-in link to the address given, if it is an
// agent's; the answer is the same either way, so that it tells nobody who
// the agents are.
func (d *Dashboard) requestLink(w http.ResponseWriter, r *http.Request) {
	addr := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	if a, err := mail.ParseAddress(addr); err == nil {
		addr = strings.ToLower(a.Address)
	}
	if slices.Contains(d.o.Agents, addr) {
		var recent int
		if err := d.o.DB.QueryRow(r.Context(), recentLinksSQL, addr, d.o.Now().Add(-time.Hour)).Scan(&recent); err != nil {
			d.failErr(w, r, err)
			return
		}
		if recent >= linksPerHour {
			d.o.Log.Warn("dashboard: sign-in link not sent: too many this hour", "agent", addr, "links", recent)
		} else if err := d.sendLink(r.Context(), addr); err != nil {
			d.failErr(w, r, err)
			return
		} else {
			d.o.Log.Info("dashboard: sign-in link sent", "agent", addr)
		}
	} else {
		d.o.Log.Info("dashboard: sign-in asked for an address that is no agent's", "address", addr)
	}
	d.render(w, r, http.StatusOK, "sent", page{Title: "Check your mail", Data: addr})
}

// newLink stores a sign-in link for agent in tx and returns its address.
func (d *Dashboard) newLink(ctx context.Context, tx pgx.Tx, agent string) (string, error) {
	token, hash := newToken()
	now := d.o.Now()
	if _, err := tx.Exec(ctx, insertLinkSQL, hash, agent, now, now.Add(linkTTL)); err != nil {
		return "", fmt.Errorf("dashboard: storing a sign-in link: %w", err)
	}
	return strings.TrimSuffix(d.o.PublicURL(), "/") + "/signin/" + token, nil
}

// SignInLink stores a sign-in link for agent and returns it, for demo
// -keep, which prints it instead of mailing it.
func (d *Dashboard) SignInLink(ctx context.Context, agent string) (string, error) {
	var link string
	err := pgx.BeginFunc(ctx, d.o.DB, func(tx pgx.Tx) error {
		var err error
		link, err = d.newLink(ctx, tx, agent)
		return err
	})
	return link, err
}

func (d *Dashboard) sendLink(ctx context.Context, agent string) error {
	return pgx.BeginFunc(ctx, d.o.DB, func(tx pgx.Tx) error {
		link, err := d.newLink(ctx, tx, agent)
		if err != nil {
			return err
		}
		id, _ := newToken()
		_, domain, _ := strings.Cut(d.o.FromAddr, "@")
		to, _ := json.Marshal([]ticketing.Address{{Address: agent}})
		text := "Open this link to sign in to the deskgate dashboard:\n\n" + link + "\n\n" +
			"It works once, for 15 minutes. If you did not ask for it, ignore this mail.\n"
		if _, err := tx.Exec(ctx, insertSignInMailSQL, agent, "<signin."+id[:20]+"@"+domain+">", d.o.FromName, d.o.FromAddr,
			string(to), "Sign in to the deskgate dashboard", text); err != nil {
			return fmt.Errorf("dashboard: queueing the sign-in mail: %w", err)
		}
		_, err = tx.Exec(ctx, `SELECT pg_notify('`+ticketing.OutboxChannel+`', '')`)
		return err
	})
}

// showLink shows the button that signs in; it uses nothing up.
func (d *Dashboard) showLink(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, http.StatusOK, "link", page{Title: "Sign in", Data: r.PathValue("token")})
}

// useLinkSQL uses up a link that is unused and unexpired, in one
// statement, so that two POSTs of one link sign in once.
const useLinkSQL = `
UPDATE dashboard_links SET used_at = $2
WHERE hash = $1 AND used_at IS NULL AND expires_at > $2
RETURNING agent`

// useLink signs in with a link's token and opens a session.
func (d *Dashboard) useLink(w http.ResponseWriter, r *http.Request) {
	now := d.o.Now()
	var agent string
	err := d.o.DB.QueryRow(r.Context(), useLinkSQL, hashOf(r.PathValue("token")), now).Scan(&agent)
	if errors.Is(err, pgx.ErrNoRows) {
		d.render(w, r, http.StatusForbidden, "signin", page{Title: "Sign in",
			Data: "That link has been used or has expired. Ask for a new one."})
		return
	}
	if err != nil {
		d.failErr(w, r, err)
		return
	}
	token, hash := newToken()
	if _, err := d.o.DB.Exec(r.Context(), `INSERT INTO dashboard_sessions (hash, agent, expires_at) VALUES ($1, $2, $3)`,
		hash, agent, now.Add(sessionTTL)); err != nil {
		d.failErr(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: d.o.Secure,
		Expires: now.Add(sessionTTL)})
	d.o.Log.Info("dashboard: signed in", "agent", agent)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// agentOf returns the agent whose session r carries, or "".
func (d *Dashboard) agentOf(r *http.Request) (string, error) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return "", nil
	}
	var agent string
	err = d.o.DB.QueryRow(r.Context(), `SELECT agent FROM dashboard_sessions WHERE hash = $1 AND expires_at > $2`,
		hashOf(c.Value), d.o.Now()).Scan(&agent)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !slices.Contains(d.o.Agents, agent)) {
		return "", nil // expired, or no longer an agent
	}
	return agent, err
}

// session runs f for a signed-in agent and sends others to sign in.
func (d *Dashboard) session(f func(http.ResponseWriter, *http.Request, string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agent, err := d.agentOf(r)
		if err != nil {
			d.failErr(w, r, err)
			return
		}
		if agent == "" {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		f(w, r, agent)
	})
}

func (d *Dashboard) signOut(w http.ResponseWriter, r *http.Request, agent string) {
	if c, err := r.Cookie(cookieName); err == nil {
		if _, err := d.o.DB.Exec(r.Context(), `DELETE FROM dashboard_sessions WHERE hash = $1`, hashOf(c.Value)); err != nil {
			d.failErr(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: d.o.Secure, MaxAge: -1, Expires: time.Unix(0, 0)})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
