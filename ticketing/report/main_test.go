package report_test

import (
	"os"
	"testing"

	"github.com/deskgate/deskgate/internal/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }
