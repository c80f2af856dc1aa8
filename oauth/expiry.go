package oauth

import (
	"log/slog"
	"time"
)

// expiryWarner logs that a client secret or certificate is about to
// expire: once when 30, 7 and 1 day are left, and once when it has.
type expiryWarner struct {
	secret, cert time.Time
	warned       [2]int // per credential, the smallest threshold logged; 0 for none yet
}

// warnDays are the thresholds, largest first.
var warnDays = []int{30, 7, 1}

func (w *expiryWarner) check(log *slog.Logger, now time.Time) {
	for i, c := range []struct {
		what string
		at   time.Time
	}{{"client secret (oauth2.expires)", w.secret}, {"certificate", w.cert}} {
		if c.at.IsZero() {
			continue
		}
		left := c.at.Sub(now)
		if left <= 0 {
			if w.warned[i] != -1 {
				w.warned[i] = -1
				log.Error("oauth: the "+c.what+" has expired; replace it", "expired", c.at.Format(time.DateOnly))
			}
			continue
		}
		th := 0
		for _, d := range warnDays {
			if left <= time.Duration(d)*24*time.Hour {
				th = d
			}
		}
		if th != 0 && (w.warned[i] == 0 || w.warned[i] > th) {
			w.warned[i] = th
			log.Warn("oauth: the "+c.what+" expires soon; replace it", "expires", c.at.Format(time.DateOnly), "within_days", th)
		}
	}
}
