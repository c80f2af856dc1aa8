package config

import "testing"

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want ByteSize
		ok   bool
	}{
		{"0", 0, true},
		{"1048576", 1 << 20, true},
		{"512B", 512, true},
		{"512KB", 512_000, true},
		{"512kb", 512_000, true},
		{"25MB", 25_000_000, true},
		{"25 MB", 25_000_000, true},
		{"25MiB", 25 << 20, true},
		{"1GB", 1e9, true},
		{"2GiB", 2 << 30, true},
		{"", 0, false},
		{"MB", 0, false},
		{"1.5MB", 0, false},
		{"-1", 0, false},
		{"25 ", 0, false},
		{"25  MB", 0, false},
		{"25TB", 0, false},
		{"25Mb ", 0, false},
		{"9223372036854775807", 1<<63 - 1, true},
		{"9223372036854775808", 0, false},
		{"9223372036854775807KB", 0, false},
	}
	for _, tt := range tests {
		got, err := parseByteSize(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("parseByteSize(%q) = %d, %v, want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestByteSizeString(t *testing.T) {
	tests := []struct {
		in   ByteSize
		want string
	}{
		{0, "0B"},
		{1023, "1023B"},
		{1000, "1KB"},
		{1024, "1KiB"},
		{25_000_000, "25MB"},
		{25 << 20, "25MiB"},
		{2e9, "2GB"},
		{1 << 30, "1GiB"},
		{-2048, "-2KiB"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
		if tt.in >= 0 {
			if back, err := parseByteSize(tt.in.String()); back != tt.in || err != nil {
				t.Errorf("parseByteSize(%q) = %d, %v, want %d", tt.in.String(), back, err, int64(tt.in))
			}
		}
	}
}
