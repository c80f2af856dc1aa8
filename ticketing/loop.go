package ticketing

// sender is the author of the message that caused m, lower-cased; "" when
// no message caused it.
func (m *mail) sender() string {
	if m.n.in == nil {
		return ""
	}
	return lower(m.n.in.From.Address)
}
