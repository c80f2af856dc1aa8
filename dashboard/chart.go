package dashboard

import (
	"strconv"

	"github.com/deskgate/deskgate/ticketing/report"
)

// Charts are SVG drawn on the server: bar charts whose geometry is
// computed here and written into the page by the template. They need no
// script (the Content-Security-Policy allows only our own files), work
// offline and print; each bar has a <title> with its value, and the page
// shows the same figures as a table beside it.

// Chart is one bar chart: groups along x, a bar per series in each.
type Chart struct {
	Title         string
	Width, Height int
	Series        []string // their colours are CSS classes s0, s1, …
	Bars          []Bar
	Labels        []Label // under each group
	Max           float64 // the value of the top of the y axis
	MaxLabel      string
	Unit          string
}

// Bar is one rectangle of a Chart.
type Bar struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

// Label is a group's label under the x axis.
type Label struct {
	X    float64
	Text string
}

// Chart geometry: a plot area inside margins.
const (
	chartW, chartH       = 640, 240
	marginL, marginB     = 40, 40
	marginT, marginRight = 10, 10
)

// bars lays out groups of values (one per series) as a Chart.
func bars(title, unit string, series []string, labels []string, values [][]float64, max float64) Chart {
	c := Chart{Title: title, Width: chartW, Height: chartH, Series: series, Unit: unit}
	for _, vs := range values {
		for _, v := range vs {
			if v > max {
				max = v
			}
		}
	}
	if max <= 0 {
		max = 1
	}
	c.Max, c.MaxLabel = max, strconv.FormatFloat(max, 'f', -1, 64)
	plotW, plotH := float64(chartW-marginL-marginRight), float64(chartH-marginT-marginB)
	if len(labels) == 0 {
		return c
	}
	groupW := plotW / float64(len(labels))
	barW := groupW * 0.8 / float64(len(series))
	for i, label := range labels {
		x0 := float64(marginL) + groupW*float64(i) + groupW*0.1
		for j, v := range values[i] {
			h := plotH * v / max
			c.Bars = append(c.Bars, Bar{X: x0 + barW*float64(j), Y: float64(marginT) + plotH - h, W: barW, H: h,
				Class: "s" + strconv.Itoa(j), Title: label + ", " + series[j] + ": " + strconv.FormatFloat(v, 'f', -1, 64) + unit})
		}
		c.Labels = append(c.Labels, Label{X: x0 + groupW*0.4, Text: label})
	}
	return c
}

func volumeChart(v *report.Volume) Chart {
	var labels []string
	var values [][]float64
	for _, d := range v.Days {
		labels = append(labels, d.Date[5:])
		values = append(values, []float64{float64(d.Opened), float64(d.AgentReplies), float64(d.Sent)})
	}
	return bars("Volume per day", "", []string{"tickets opened", "agents' replies", "notifications sent"}, labels, values, 0)
}

func slaChart(s *report.SLA) Chart {
	var labels []string
	var values [][]float64
	pct := func(p *float64) float64 {
		if p == nil {
			return 0
		}
		return *p
	}
	for _, g := range s.Groups {
		labels = append(labels, orDash(g.Group))
		values = append(values, []float64{pct(g.RespondedWithinTarget), pct(g.ResolvedWithinTarget)})
	}
	return bars("SLA compliance by team", "%", []string{"responded within target", "resolved within target"}, labels, values, 100)
}

func backlogChart(b *report.Backlog) Chart {
	var values [][]float64
	for i := range b.BusinessBuckets {
		var row []float64
		for _, s := range report.OpenStatuses {
			row = append(row, float64(b.Total.ByStatus[s].Business[i]))
		}
		values = append(values, row)
	}
	return bars("Backlog by business age", "", report.OpenStatuses, b.BusinessBuckets, values, 0)
}
