package server

import (
	"errors"
	"fmt"

	"github.com/gennaker/gennaker/internal/datadir"
)

// lockDataDir takes the data directory's lock (datadir.Lock), so two
// servers never share one embedded database.
func lockDataDir(dir string) (func(), error) {
	unlock, err := datadir.Lock(dir)
	var locked *datadir.LockedError
	if errors.As(err, &locked) {
		return nil, fmt.Errorf("another gennaker server (pid %s) is using %s: stop it, or give this one its own --data directory", locked.PID, dir)
	}
	return unlock, err
}
