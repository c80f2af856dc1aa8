package sla

import (
	"slices"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/ar"
	"github.com/rickar/cal/v2/at"
	"github.com/rickar/cal/v2/au"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/bg"
	"github.com/rickar/cal/v2/br"
	"github.com/rickar/cal/v2/ca"
	"github.com/rickar/cal/v2/ch"
	"github.com/rickar/cal/v2/cz"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/dk"
	"github.com/rickar/cal/v2/ecb"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/gr"
	"github.com/rickar/cal/v2/hr"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/jp"
	"github.com/rickar/cal/v2/lt"
	"github.com/rickar/cal/v2/lv"
	"github.com/rickar/cal/v2/mw"
	"github.com/rickar/cal/v2/nc"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/no"
	"github.com/rickar/cal/v2/nz"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/ro"
	"github.com/rickar/cal/v2/ru"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/si"
	"github.com/rickar/cal/v2/sk"
	"github.com/rickar/cal/v2/ua"
	"github.com/rickar/cal/v2/us"
	"github.com/rickar/cal/v2/za"
)

// holidaySets maps each code Spec.Holidays accepts to rickar/cal's list: the
// package name for a country's national list ("se" is se.Holidays) and
// package-region for a regional one ("de-by" is de.HolidaysBY). It is built
// on each call so that no package state can be changed.
func holidaySets() map[string][]*cal.Holiday {
	return map[string][]*cal.Holiday{
		"ar":     ar.Holidays,
		"at":     at.Holidays,
		"au-act": au.HolidaysACT,
		"au-nsw": au.HolidaysNSW,
		"au-nt":  au.HolidaysNT,
		"au-qld": au.HolidaysQLD,
		"au-sa":  au.HolidaysSA,
		"au-tas": au.HolidaysTAS,
		"au-vic": au.HolidaysVIC,
		"au-wa":  au.HolidaysWA,
		"be":     be.Holidays,
		"bg":     bg.Holidays,
		"br":     br.Holidays,
		"ca":     ca.Holidays,
		"ch":     ch.Holidays,
		"ch-zh":  ch.HolidaysZH,
		"ch-be":  ch.HolidaysBE,
		"ch-lu":  ch.HolidaysLU,
		"ch-ur":  ch.HolidaysUR,
		"ch-sz":  ch.HolidaysSZ,
		"ch-ow":  ch.HolidaysOW,
		"ch-nw":  ch.HolidaysNW,
		"ch-gl":  ch.HolidaysGL,
		"ch-zg":  ch.HolidaysZG,
		"ch-fr":  ch.HolidaysFR,
		"ch-so":  ch.HolidaysSO,
		"ch-bs":  ch.HolidaysBS,
		"ch-bl":  ch.HolidaysBL,
		"ch-sh":  ch.HolidaysSH,
		"ch-ar":  ch.HolidaysAR,
		"ch-ai":  ch.HolidaysAI,
		"ch-sg":  ch.HolidaysSG,
		"ch-gr":  ch.HolidaysGR,
		"ch-ag":  ch.HolidaysAG,
		"ch-tg":  ch.HolidaysTG,
		"ch-vd":  ch.HolidaysVD,
		"ch-ti":  ch.HolidaysTI,
		"ch-vs":  ch.HolidaysVS,
		"ch-ne":  ch.HolidaysNE,
		"ch-ge":  ch.HolidaysGE,
		"ch-ju":  ch.HolidaysJU,
		"cz":     cz.Holidays,
		"de":     de.Holidays,
		"de-bw":  de.HolidaysBW,
		"de-by":  de.HolidaysBY,
		"de-be":  de.HolidaysBE,
		"de-bb":  de.HolidaysBB,
		"de-hb":  de.HolidaysHB,
		"de-hh":  de.HolidaysHH,
		"de-he":  de.HolidaysHE,
		"de-mv":  de.HolidaysMV,
		"de-ni":  de.HolidaysNI,
		"de-nw":  de.HolidaysNW,
		"de-rp":  de.HolidaysRP,
		"de-sl":  de.HolidaysSL,
		"de-sn":  de.HolidaysSN,
		"de-st":  de.HolidaysST,
		"de-sh":  de.HolidaysSH,
		"de-th":  de.HolidaysTH,
		"dk":     dk.Holidays,
		"ecb":    ecb.Holidays,
		"es":     es.Holidays,
		"fr":     fr.Holidays,
		"gb":     gb.Holidays,
		"gr":     gr.Holidays,
		"hr":     hr.Holidays,
		"ie":     ie.Holidays,
		"it":     it.Holidays,
		"jp":     jp.Holidays,
		"lt":     lt.Holidays,
		"lv":     lv.Holidays,
		"mw":     mw.Holidays,
		"nc":     nc.Holidays,
		"nl":     nl.Holidays,
		"no":     no.Holidays,
		"nz":     nz.Holidays,
		"pl":     pl.Holidays,
		"ro":     ro.Holidays,
		"ru":     ru.Holidays,
		"se":     se.Holidays,
		"si":     si.Holidays,
		"sk":     sk.Holidays,
		"ua":     ua.Holidays,
		"us":     us.Holidays,
		"za":     za.Holidays,
	}
}

// Countries returns the holiday-set codes Spec.Holidays accepts, sorted:
// rickar/cal's country packages ("se", "dk", "us", …, and "ecb" for the
// European Central Bank's TARGET days) and their regional lists ("de-by",
// "ch-zh", "au-nsw", …).
func Countries() []string {
	sets := holidaySets()
	codes := make([]string, 0, len(sets))
	for code := range sets {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	return codes
}

// The holidays of the years [holidayFirst, holidayEnd) are computed once in
// New; other years are computed on each lookup.
const (
	holidayFirst = 2000
	holidayEnd   = 2100
)

// holidays answers whether a date is closed by one of rickar/cal's holidays.
// A day is closed when it is a holiday's actual date or its observed
// (substitute) date. It is never changed after newHolidays returns.
type holidays struct {
	list []*cal.Holiday
	bits []uint64 // one bit per (year, month, day) in [holidayFirst, holidayEnd)
}

func newHolidays(list []*cal.Holiday) *holidays {
	h := &holidays{list: list, bits: make([]uint64, ((holidayEnd-holidayFirst)*12*31+63)/64)}
	// A holiday's observed date may fall in the year before or after the
	// one it is computed for (a Saturday 1 January observed on Friday 31
	// December), so compute one year more on each side.
	for y := holidayFirst - 1; y <= holidayEnd; y++ {
		for _, hol := range list {
			act, obs := hol.Calc(y)
			h.mark(act)
			h.mark(obs)
		}
	}
	return h
}

// index returns the bit of a date, or false outside the precomputed years.
func index(d civil) (int, bool) {
	if d.y < holidayFirst || d.y >= holidayEnd {
		return 0, false
	}
	return (d.y-holidayFirst)*12*31 + int(d.m-1)*31 + d.d - 1, true
}

func (h *holidays) mark(t time.Time) {
	if t.IsZero() {
		return
	}
	if i, ok := index(civilOf(t)); ok {
		h.bits[i/64] |= 1 << (i % 64)
	}
}

// closed reports whether d is a holiday's actual or observed date.
func (h *holidays) closed(d civil) bool {
	if i, ok := index(d); ok {
		return h.bits[i/64]&(1<<(i%64)) != 0
	}
	for _, hol := range h.list {
		for y := d.y - 1; y <= d.y+1; y++ {
			act, obs := hol.Calc(y)
			if (!act.IsZero() && civilOf(act) == d) || (!obs.IsZero() && civilOf(obs) == d) {
				return true
			}
		}
	}
	return false
}
