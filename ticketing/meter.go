package ticketing

// Meter counts what ticketing decides, for metrics; cmd passes a
// metrics.Set. Counts are taken when a decision is applied inside the
// caller's transaction, so a batch retried after a failure counts again.
type Meter interface {
	RuleFired(rule string)    // a rule matched and acted
	Escalated(breach bool)    // an SLA warning, or a breach, fired
	Suppressed(reason string) // a notification recorded as suppressed, with its reason
}

// noMeter counts nothing.
type noMeter struct{}

func (noMeter) RuleFired(string)  {}
func (noMeter) Escalated(bool)    {}
func (noMeter) Suppressed(string) {}
