package config

import (
	"reflect"
	"testing"
)

func TestExpand(t *testing.T) {
	e := env(map[string]string{"A": "alpha", "B_2": "b:#${A}", "EMPTY": ""})
	tests := []struct {
		in   string
		want string
		errs []string
	}{
		{"plain", "plain", nil},
		{"${A}", "alpha", nil},
		{"x${A}y${A}", "xalphayalpha", nil},
		{"${B_2}", "b:#${A}", nil}, // values are not expanded again
		{"${EMPTY}", "", nil},
		{"$Deskgate", "$Deskgate", nil},
		{"$A $ $$ a$", "$A $ $$ a$", nil},
		{"$${A}", "${A}", nil},
		{"$$${A}", "$${A}", nil},
		{"$${A}${A}", "${A}alpha", nil},
		{"${MISSING}", "", []string{"MISSING is not set"}},
		{"${M1}-${M2}", "-", []string{"M1 is not set", "M2 is not set"}},
		{"${}", "", []string{"${} is not a valid variable reference: use ${NAME} with letters, digits and _ (write $${ for a literal ${)"}},
		{"${1A}", "", []string{"${1A} is not a valid variable reference: use ${NAME} with letters, digits and _ (write $${ for a literal ${)"}},
		{"${A:-x}", "", []string{"${A:-x} is not a valid variable reference: use ${NAME} with letters, digits and _ (write $${ for a literal ${)"}},
		{"ab${A", "ab${A", []string{"unterminated ${ (write $${ for a literal ${)"}},
	}
	for _, tt := range tests {
		got, errs := expand(tt.in, e)
		if got != tt.want || !reflect.DeepEqual(errs, tt.errs) {
			t.Errorf("expand(%q) = %q, %q, want %q, %q", tt.in, got, errs, tt.want, tt.errs)
		}
	}
}
