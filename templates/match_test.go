package templates

import "testing"

func TestMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tags     []string
		fallback string
		want     string
	}{
		{[]string{"sv-SE"}, "en", "sv"},
		{[]string{"sv"}, "en", "sv"},
		{[]string{"sv-FI"}, "en", "sv"},
		{[]string{"da-DK,da;q=0.9,en;q=0.8"}, "sv", "da"},
		{[]string{"en-GB,en;q=0.9"}, "sv", "en"},
		{[]string{"EN-us"}, "sv", "en"},
		{[]string{"zh-CN"}, "en", "zh"},
		{[]string{"zh-Hans"}, "en", "zh"},
		{[]string{"zh-Hans-CN"}, "en", "zh"},
		{[]string{"zh-SG"}, "en", "zh"},
		{[]string{"zh_CN"}, "en", "zh"},
		{[]string{"zh"}, "en", "zh"},
		// Traditional Chinese: our Chinese is Simplified, the matcher says Low.
		{[]string{"zh-TW"}, "en", "en"},
		{[]string{"zh-Hant"}, "sv", "sv"},
		{[]string{"zh-HK"}, "", ""},
		{[]string{"zh-TW", "en"}, "sv", "en"},
		// Languages CLDR deems close enough.
		{[]string{"nb"}, "en", "da"},
		{[]string{"nb-NO"}, "en", "da"},
		{[]string{"nn"}, "en", "en"},
		{[]string{"nb", "sv"}, "en", "sv"}, // a later exact match wins over an earlier High one
		{[]string{"fr"}, "en", "en"},
		{[]string{"fr"}, "", ""},
		{[]string{"fr"}, "de", "de"}, // fallback is returned as is
		{[]string{"fr-CA,fr;q=0.9"}, "sv", "sv"},
		{[]string{"fr", "da"}, "en", "da"},
		{[]string{"fr;q=0.9,sv;q=0.5"}, "en", "sv"},
		{[]string{"en;q=0.1,sv"}, "da", "sv"}, // quality counts, not position
		{[]string{"sv;q=0"}, "en", "en"},      // q=0 means not acceptable
		{nil, "en", "en"},
		{[]string{}, "sv", "sv"},
		{[]string{""}, "sv", "sv"},
		{[]string{"garbage"}, "en", "en"},
		{[]string{"!!", "sv"}, "en", "sv"},
		{[]string{"da;q=bad,sv"}, "en", "sv"},
		{[]string{"*"}, "en", "en"},
		{[]string{"und"}, "sv", "sv"},
	}
	for _, tt := range tests {
		if got := Match(tt.tags, tt.fallback); got != tt.want {
			t.Errorf("Match(%q, %q) = %q, want %q", tt.tags, tt.fallback, got, tt.want)
		}
	}
}
