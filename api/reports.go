package api

import (
	"context"

	"github.com/deskgate/deskgate/ticketing/report"
)

// query is a report's query with what it leaves out filled in as
// deskgate report fills it in, at the server's now.
func (s *server) query(from, to *string, by string, atRisk *float64) (report.Query, error) {
	q := report.Query{From: deref(from), To: deref(to), By: by, Now: s.now()}
	if atRisk != nil {
		var err error
		if q.AtRisk, err = report.AtRiskHours(*atRisk); err != nil {
			return q, err
		}
	}
	return s.report().Defaults(q), nil
}

// GetSLAReport answers the SLA report.
func (s *server) GetSLAReport(ctx context.Context, r GetSLAReportRequestObject) (GetSLAReportResponseObject, error) {
	q, err := s.query(r.Params.From, r.Params.To, string(deref(r.Params.By)), nil)
	if err != nil {
		return nil, err
	}
	v, err := report.SLAReport(ctx, s.db, s.report(), q)
	if err != nil {
		return nil, err
	}
	return GetSLAReport200JSONResponse(*v), nil
}

// GetVolumeReport answers the volume report.
func (s *server) GetVolumeReport(ctx context.Context, r GetVolumeReportRequestObject) (GetVolumeReportResponseObject, error) {
	q, err := s.query(r.Params.From, r.Params.To, "", nil)
	if err != nil {
		return nil, err
	}
	v, err := report.VolumeReport(ctx, s.db, s.report(), q)
	if err != nil {
		return nil, err
	}
	return GetVolumeReport200JSONResponse(*v), nil
}

// GetBacklogReport answers the backlog report, at the server's now.
func (s *server) GetBacklogReport(ctx context.Context, r GetBacklogReportRequestObject) (GetBacklogReportResponseObject, error) {
	q, err := s.query(nil, nil, string(deref(r.Params.By)), r.Params.AtRisk)
	if err != nil {
		return nil, err
	}
	v, err := report.BacklogReport(ctx, s.db, s.report(), q)
	if err != nil {
		return nil, err
	}
	return GetBacklogReport200JSONResponse(*v), nil
}

// GetAgentsReport answers the agents report.
func (s *server) GetAgentsReport(ctx context.Context, r GetAgentsReportRequestObject) (GetAgentsReportResponseObject, error) {
	q, err := s.query(r.Params.From, r.Params.To, "", nil)
	if err != nil {
		return nil, err
	}
	v, err := report.AgentsReport(ctx, s.db, s.report(), q)
	if err != nil {
		return nil, err
	}
	return GetAgentsReport200JSONResponse(*v), nil
}
