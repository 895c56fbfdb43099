package config

import (
	"os"
	"path/filepath"
)

// WriteFileAtomic replaces path with what write puts in a temporary file
// beside it, synced and renamed into place: no reader ever sees half a
// file, and a failure or crash leaves the old content (or none) under the
// name. The file keeps the permissions of the one it replaces (0644 for a
// new one).
func WriteFileAtomic(path string, write func(f *os.File) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	perm := os.FileMode(0o644)
	if info, serr := os.Stat(path); serr == nil {
		perm = info.Mode().Perm()
	}
	if err = os.Chmod(f.Name(), perm); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
