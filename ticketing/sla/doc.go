// Package sla counts SLA targets in business time: business-hours
// calendars, and the clocks that ticketing keeps per ticket for first
// response, next response and resolution. It is pure: callers pass every
// time in, and nothing is stored or looked up.
//
// A [Calendar] is built from a [Spec]: working spans per weekday in a time
// zone, public holidays from github.com/rickar/cal/v2, extra closed dates,
// and extra working dates (such as China's weekend make-up days). Spans
// are wall-clock times of day, so a DST change shortens or lengthens only
// the spans that contain it: a 00:00–24:00 span on Europe/Stockholm's
// spring-forward Sunday holds 23 hours, and Monday 08:00–17:00 after it
// still holds 9. A [Clock] is plain data whose methods return the next
// state; its deadline is the calendar's [Calendar.Add] of the time left.
//
// Which day is what, in order: an Open date works (with Spec.OpenHours);
// otherwise a Closed date, or the actual or observed (substitute) date of
// any holiday in the chosen sets, is closed; otherwise the weekday's spans
// apply.
//
// Limits:
//   - Holidays are only those rickar/cal v2.1.13 knows, each list taken as
//     a whole. It has no China; its Sweden includes the de-facto days off
//     Julafton, Midsommarafton and Nyårsafton (as ObservanceOther), while
//     its Denmark has no Christmas Eve. Anything else goes in Closed.
//   - A span boundary that a DST change skips or repeats (02:30 on the day
//     clocks change in Stockholm) is placed as time.Date places it.
//   - Leap seconds are ignored, as by package time.
//   - A walk through the calendar gives up after ten years (3,653 days) in
//     a row without working time: Add and NextOpen then return the zero
//     Time, and Between counts nothing beyond. New rejects a calendar with
//     no weekday hours, so only a Closed list covering years reaches this.
//   - Between costs time in proportion to the days it spans, and Add in
//     proportion to the days its result is away.
//   - Explanations are in English only.
package sla
