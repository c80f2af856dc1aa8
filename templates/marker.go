package templates

// marker returns the "reply above this line" line of lang, if supported.
// The markers live here, not in the template files, so an override cannot
// change what inbound quote stripping looks for.
func marker(lang string) (string, bool) {
	switch lang {
	case "en":
		return "##- Please type your reply above this line -##", true
	case "sv":
		return "##- Skriv ditt svar ovanför den här raden -##", true
	case "da":
		return "##- Skriv dit svar over denne linje -##", true
	case "zh":
		return "##- 请在此行上方输入您的回复 -##", true
	}
	return "", false
}

// Marker returns the "reply above this line" marker for lang, one of
// Languages; any other value gets the English marker. Render puts it on top
// of every text body, and layout.html on top of every HTML body.
func Marker(lang string) string {
	if m, ok := marker(lang); ok {
		return m
	}
	m, _ := marker("en")
	return m
}

// Markers returns the marker of every language, in the order of Languages,
// for stripping quoted history from replies whatever language the quoted
// mail was in.
func Markers() []string {
	langs := Languages()
	out := make([]string, len(langs))
	for i, l := range langs {
		out[i], _ = marker(l)
	}
	return out
}
