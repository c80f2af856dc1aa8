package config

import "testing"

func TestHTTPAndLog(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		want       HTTP
		log        Log
	}{
		{"off", minimal + "http:\n  listen: \"\"\n", HTTP{}, Log{Format: "text", Level: "info"}},
		{"set", minimal + "http:\n  listen: :0\n  public_url: https://desk.example.com/help\nlog:\n  format: JSON\n  level: Debug\n",
			HTTP{Listen: ":0", PublicURL: "https://desk.example.com/help"}, Log{Format: "json", Level: "debug"}},
	} {
		got, err := Parse([]byte(c.yaml), "deskgate.yaml", testEnv)
		if err != nil {
			t.Fatalf("%s: Parse: %v", c.name, err)
		}
		if got.HTTP != c.want || got.Log != c.log {
			t.Errorf("%s: Parse = %+v %+v, want %+v %+v", c.name, got.HTTP, got.Log, c.want, c.log)
		}
	}
	if (HTTP{PublicURL: "https://desk.example.com"}).SecureCookies() != true || (HTTP{PublicURL: "http://desk"}).SecureCookies() {
		t.Error("SecureCookies: want true for https only")
	}
	checkProblems(t, minimal+"http:\n  listen: localhost\n  public_url: desk.example.com\nlog:\n  format: xml\n  level: loud\n", []string{
		"11:11: http.listen: must be host:port, such as 127.0.0.1:9180 or :9180 (empty: no HTTP server)",
		"12:15: http.public_url: must be an absolute http or https URL without query or fragment, such as https://desk.example.com",
		"14:11: log.format: must be one of text, json",
		"15:10: log.level: must be one of debug, info, warn, error",
	})
}
