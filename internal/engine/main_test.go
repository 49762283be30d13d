package engine_test

import (
	"os"
	"testing"

	"github.com/gennaker/gennaker/test/pgenv"
)

// TestMain stops the PostgreSQL server the fault suite starts on PostgreSQL.
func TestMain(m *testing.M) { os.Exit(pgenv.RunShared(m)) }
