package quote

// Options configure stripping; the zero value is usable.
type Options struct {
	// Marker is deskgate's "reply above this line" text for the thread
	// of this message, if any. The first line containing it cuts the rest
	// of the body (runs of white space compare equal to one space); other,
	// older markers are ignored.
	Marker string
}
