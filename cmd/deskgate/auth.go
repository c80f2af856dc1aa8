package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/oauth"
	"github.com/deskgate/deskgate/ticketing/token"
)

// smtpTokenName names the SMTP side's oauth2 block in deskgate auth login
// and in the stored tokens.
const smtpTokenName = "smtp"

// authCmd runs deskgate auth login NAME: the interactive login of a
// delegated oauth2 block, whose refresh token it stores.
func authCmd(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 || args[0] != "login" {
		return usageError("auth: want login NAME (a mailbox name, or smtp)")
	}
	flags := flag.NewFlagSet("auth login", flag.ContinueOnError)
	path := configFlag(flags)
	_, names, err := positional(flags, args[1:], 0)
	if err != nil {
		return err
	}
	if len(names) != 1 {
		return usageError("auth login: want one NAME (a mailbox name, or smtp)")
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	oc, err := oauthFor(cfg, names[0])
	if err != nil {
		return err
	}
	if oc.Flow != oauth.Delegated {
		return fmt.Errorf("auth login %s: its oauth2 flow is %s, which needs no login (only delegated does)", names[0], oc.Flow)
	}
	keys, err := oauthKeys(cfg) // config demands desk.secrets for a delegated flow
	if err != nil {
		return err
	}
	return withMigratedDB(ctx, log, func(pool *pgxpool.Pool, _ int64) error {
		if err := oauth.Login(ctx, oc, oauth.NewStore(pool, keys), stdin, stdout); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: signed in; the refresh token is stored (encrypted with desk secret %d) and serve renews the access tokens from now on\n",
			names[0], cfg.Desk.Secrets[0].ID)
		return nil
	})
}

// oauthFor returns the token configuration of the mailbox called name, or
// of the SMTP server for "smtp".
func oauthFor(cfg *config.Config, name string) (oauth.Config, error) {
	if name == smtpTokenName {
		if cfg.SMTP.OAuth2.Provider == "" {
			return oauth.Config{}, errors.New("smtp has no oauth2 block")
		}
		return oauthConfig(name, cfg.SMTP.OAuth2, cfg.SMTP.Username), nil
	}
	for _, mb := range cfg.Mailboxes {
		if mb.Name == name {
			if mb.OAuth2.Provider == "" {
				return oauth.Config{}, fmt.Errorf("mailbox %s has no oauth2 block", name)
			}
			return oauthConfig(name, mb.OAuth2, mb.Username), nil
		}
	}
	return oauth.Config{}, fmt.Errorf("no mailbox is named %s (and it is not smtp)", name)
}

// oauthConfig maps a validated oauth2 block; username is the mailbox a
// service account acts as.
func oauthConfig(name string, o config.OAuth2, username string) oauth.Config {
	c := oauth.Config{Name: name, Provider: oauth.Provider(o.Provider), Flow: oauth.Flow(o.Flow), Tenant: o.Tenant,
		ClientID: o.ClientID, ClientSecret: o.ClientSecret, CertificateFile: o.Certificate, KeyFile: o.Key,
		ServiceAccountFile: o.ServiceAccountKey, Subject: username, Scopes: o.Scopes,
		TokenURL: o.TokenURL, AuthURL: o.AuthURL, DevURL: o.DeviceAuthURL}
	if t, ok := o.ExpiresAt(); ok {
		c.SecretExpires = t
	}
	return c
}

// deskSecrets decodes desk.secrets: the id of the first and every secret
// by id; nil without any.
func deskSecrets(cfg *config.Config) (byte, map[byte][]byte, error) {
	if len(cfg.Desk.Secrets) == 0 {
		return 0, nil, nil
	}
	secrets := map[byte][]byte{}
	for _, s := range cfg.Desk.Secrets {
		b, err := token.ParseSecret(s.Secret) // validated by config already
		if err != nil {
			return 0, nil, fmt.Errorf("desk.secrets id %d: %w", s.ID, err)
		}
		secrets[byte(s.ID)] = b
	}
	return byte(cfg.Desk.Secrets[0].ID), secrets, nil
}

// oauthKeys returns the keys that encrypt stored tokens, or nil when
// desk.secrets is empty.
func oauthKeys(cfg *config.Config) (*oauth.Keys, error) {
	first, secrets, err := deskSecrets(cfg)
	if err != nil || secrets == nil {
		return nil, err
	}
	return oauth.NewKeys(first, secrets)
}

// tokenSources returns a token source for each mailbox (by name) and for
// the SMTP server ("smtp") with an oauth2 block. Key and certificate files
// are read now, so a mistake stops the start.
func tokenSources(cfg *config.Config, pool *pgxpool.Pool, log *slog.Logger) (map[string]*oauth.Source, error) {
	keys, err := oauthKeys(cfg)
	if err != nil {
		return nil, err
	}
	var store *oauth.Store // needed by delegated flows, which config allows only with desk.secrets
	if keys != nil {
		store = oauth.NewStore(pool, keys)
	}
	out := map[string]*oauth.Source{}
	add := func(name string, o config.OAuth2, username string) error {
		if o.Provider == "" {
			return nil
		}
		src, err := oauth.New(oauthConfig(name, o, username), store, log)
		if err != nil {
			return err
		}
		out[name] = src
		return nil
	}
	for _, mb := range cfg.Mailboxes {
		if err := add(mb.Name, mb.OAuth2, mb.Username); err != nil {
			return nil, err
		}
	}
	if err := add(smtpTokenName, cfg.SMTP.OAuth2, cfg.SMTP.Username); err != nil {
		return nil, err
	}
	return out, nil
}
