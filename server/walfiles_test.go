package server

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/hashicorp/raft"
	"golang.org/x/sys/unix"
)

// unwrittenExtents reports how many of path's extents the file system keeps
// as allocated but unwritten (what fallocate leaves), with FIEMAP. ok is
// false when the file system cannot tell.
func unwrittenExtents(t *testing.T, path string) (n int, ok bool) {
	t.Helper()
	const (
		fsIocFiemap      = 0xC020660B // _IOWR('f', 11, struct fiemap)
		fiemapFlagSync   = 0x1
		extentLast       = 0x1
		extentUnwritten  = 0x800
		extentsPerCall   = 64
		fiemapHeaderSize = 32
		fiemapExtentSize = 56
	)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, fiemapHeaderSize+extentsPerCall*fiemapExtentSize)
	var start uint64
	for {
		clear(buf)
		le := func(off int) *uint64 { return (*uint64)(unsafe.Pointer(&buf[off])) }
		u32 := func(off int) *uint32 { return (*uint32)(unsafe.Pointer(&buf[off])) }
		*le(0) = start      // fm_start
		*le(8) = ^uint64(0) // fm_length: to the end
		*u32(16) = fiemapFlagSync
		*u32(24) = extentsPerCall // fm_extent_count
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, f.Fd(), fsIocFiemap, uintptr(unsafe.Pointer(&buf[0]))); e != 0 {
			if errors.Is(e, unix.EOPNOTSUPP) || errors.Is(e, unix.ENOTTY) {
				return 0, false
			}
			t.Fatalf("FIEMAP %s: %v", path, e)
		}
		mapped := int(*u32(20))
		if mapped == 0 {
			return n, true
		}
		for i := range mapped {
			base := fiemapHeaderSize + i*fiemapExtentSize
			flags := *u32(base + 40)
			if flags&extentUnwritten != 0 {
				n++
			}
			if flags&extentLast != 0 {
				return n, true
			}
			start = *le(base) + *le(base + 16) // fe_logical + fe_length
		}
	}
}

// TestLogSegmentsAreWrittenOut writes enough entries to fill several small
// segments and checks that every segment file is the full size with no
// unwritten extents (raft-wal's own files are fallocated), and that the
// entries read back after a reopen.
func TestLogSegmentsAreWrittenOut(t *testing.T) {
	dir := t.TempDir()
	const segment = 256 << 10
	logger := slog.New(slog.DiscardHandler)
	s, err := openLogStore(dir, segment, logger)
	if err != nil {
		t.Fatal(err)
	}
	const last = 3000
	data := bytes.Repeat([]byte{'x'}, 200)
	for i := uint64(1); i <= last; i += 10 {
		var batch []*raft.Log
		for j := i; j < i+10; j++ {
			batch = append(batch, &raft.Log{Index: j, Term: 2, Type: raft.LogCommand, Data: append(fmt.Appendf(nil, "entry %d ", j), data...)})
		}
		if err := s.StoreLogs(batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, walDir, "*.wal"))
	if len(files) < 3 {
		t.Fatalf("%d segment files, want at least 3 for %d entries in %d-byte segments", len(files), last, segment)
	}
	checked := 0
	for _, p := range files {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() < segment {
			t.Errorf("%s: %d bytes, want the segment's %d written out", filepath.Base(p), st.Size(), segment)
		}
		n, ok := unwrittenExtents(t, p)
		if !ok {
			continue
		}
		checked++
		if n > 0 {
			t.Errorf("%s: %d unwritten extents; a segment's space must be written before appends go into it", filepath.Base(p), n)
		}
	}
	if checked == 0 {
		t.Logf("the file system of %s has no FIEMAP: extents not checked (sizes and contents were)", dir)
	}

	s, err = openLogStore(dir, segment, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, i := range []uint64{1, 777, last} {
		var e raft.Log
		if err := s.GetLog(i, &e); err != nil {
			t.Fatalf("entry %d after reopen: %v", i, err)
		}
		if !strings.HasPrefix(string(e.Data), fmt.Sprintf("entry %d ", i)) {
			t.Fatalf("entry %d after reopen holds %.20q", i, e.Data)
		}
	}
	// The reopened tail takes appends too.
	if err := s.StoreLogs([]*raft.Log{{Index: last + 1, Term: 3, Type: raft.LogCommand, Data: []byte("after")}}); err != nil {
		t.Fatal(err)
	}
}
