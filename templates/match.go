package templates

import (
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/language"
)

// Languages returns the supported locales: en, sv, da and zh (Simplified
// Chinese).
func Languages() []string {
	return []string{"en", "sv", "da", "zh"}
}

// supported reports whether lang is one of Languages.
func supported(lang string) bool {
	return slices.Contains(Languages(), lang)
}

// matcher matches against Languages, in that order.
var matcher = sync.OnceValue(func() language.Matcher {
	var tags []language.Tag
	for _, l := range Languages() {
		tags = append(tags, language.Make(l))
	}
	return language.NewMatcher(tags)
})

// Match returns the supported language that best fits a preference list,
// or fallback, as is, when none fits well.
//
// Each element of tags is a BCP 47 tag ("sv-SE", "zh_CN") or an
// Accept-Language value ("da-DK,da;q=0.9,en;q=0.8"). Entries are preferred
// by quality (q, 1 when absent), then in the order given; entries that do
// not parse, and those with q=0, are skipped. golang.org/x/text/language's matcher then picks, and its pick
// counts only with High or Exact confidence. So regional variants match
// (sv-FI → sv, en-GB → en, zh-CN, zh-SG and zh-Hans → zh), and so do the
// languages CLDR deems close enough: Norwegian Bokmål and Faroese get da,
// and a few languages whose readers commonly read English (Icelandic, Irish)
// get en. Traditional Chinese (zh-TW, zh-HK, zh-Hant) matches zh only with
// Low confidence and gets fallback: our Chinese templates are Simplified.
// An exact match later in the list beats a High one earlier: ["nb", "sv"]
// gives sv.
func Match(tags []string, fallback string) string {
	type pref struct {
		tag language.Tag
		q   float32
	}
	var prefs []pref
	for _, t := range tags {
		for entry := range strings.SplitSeq(t, ",") {
			ts, qs, err := language.ParseAcceptLanguage(entry)
			if err != nil {
				continue
			}
			for i := range ts {
				prefs = append(prefs, pref{ts[i], qs[i]})
			}
		}
	}
	if len(prefs) == 0 {
		return fallback
	}
	slices.SortStableFunc(prefs, func(a, b pref) int {
		switch {
		case a.q > b.q:
			return -1
		case a.q < b.q:
			return 1
		}
		return 0
	})
	desired := make([]language.Tag, len(prefs))
	for i, p := range prefs {
		desired[i] = p.tag
	}
	_, i, conf := matcher().Match(desired...)
	if conf < language.High {
		return fallback
	}
	return Languages()[i]
}
