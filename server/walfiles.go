package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/hashicorp/raft-wal/fs"
	"github.com/hashicorp/raft-wal/types"
	"golang.org/x/sys/unix"
)

// The raft log's segment files: written-out zeros and fdatasync.
//
// raft-wal preallocates each segment with fallocate and syncs it with
// fsync. On ext4 fallocate leaves unwritten extents, so every append into
// fresh space also changes the extent tree, and the sync must write that
// out too; fsync in addition writes the inode for every mtime change. On
// this kind of machine (three members on one virtual disk) a 1.5 KB append
// and its sync took 235 µs that way, against 154 µs for the same append and
// an fdatasync into a file whose zeros were written out beforehand (375 vs
// 256 µs with three writers at once); set throughput of a 3-member ensemble
// rose ~9% in alternating runs.
//
// So a new segment is filled with zeros and synced before raft-wal writes
// to it (64 MiB: ~55 ms here, once per segment; ZooKeeper also pads its
// transaction logs ahead, by 64 MB), and appends are made durable with
// fdatasync: the data's extents are allocated and written already, and what
// fdatasync leaves out (times) no reader needs; a batch that runs past the
// preallocated end grows the file, and fdatasync writes the new size too. A segment's directory entry is synced
// with its first sync, as raft-wal's own file does.
type walFS struct{ *fs.FS }

func newWalFS() walFS { return walFS{FS: fs.New()} }

// zeroChunk is the size of each write of the fill.
const zeroChunk = 1 << 20

func (walFS) Create(dir, name string, size uint64) (types.WritableFile, error) {
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := zeroFill(f, size); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("server: preparing raft log segment %s (is the disk full?): %w", path, err)
	}
	return &walFile{File: f, dir: dir}, nil
}

// zeroFill writes size bytes of zeros to f and syncs them.
func zeroFill(f *os.File, size uint64) error {
	if size == 0 {
		return nil
	}
	zeros := make([]byte, zeroChunk)
	for off := uint64(0); off < size; off += zeroChunk {
		if _, err := f.WriteAt(zeros[:min(zeroChunk, size-off)], int64(off)); err != nil {
			return err
		}
	}
	return fdatasync(f)
}

func (walFS) OpenWriter(dir, name string) (types.WritableFile, error) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	w := &walFile{File: f, dir: dir}
	w.dirSynced.Store(true) // it existed before this process
	return w, nil
}

// walFile is a segment raft-wal writes: Sync is fdatasync, and the first
// one also syncs the directory that holds the new file.
type walFile struct {
	*os.File
	dir       string
	dirSynced atomic.Bool
}

func (f *walFile) Sync() error {
	if err := fdatasync(f.File); err != nil {
		return err
	}
	if !f.dirSynced.Swap(true) {
		return syncDir(f.dir)
	}
	return nil
}

func fdatasync(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if !errors.Is(err, unix.EINTR) {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}
