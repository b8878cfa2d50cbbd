//go:build unix

package seal

import (
	"os"
	"path/filepath"
	"syscall"
)

// lockFile takes an exclusive lock on "<path>.lock" (made if missing), so
// two kapstone processes never read, change and write the key file at the
// same time (two rotations at once would otherwise each write a file
// lacking the other's new key). The returned func releases it.
func lockFile(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
