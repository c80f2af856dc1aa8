package quote

// Options configure stripping; the zero value is usable.
type Options struct {
	// Markers are deskgate's "reply above this line" texts for the thread
	// of this message, one per language deskgate writes in. The first line
	// containing any of them cuts the rest of the body (runs of white
	// space compare equal to one space); empty strings are ignored, and
	// texts not listed, such as older markers, are not markers.
	Markers []string
}
