package protocol

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
)

func TestReadFrame(t *testing.T) {
	frame := AppendFrame(nil, &PathRequest{Path: "/abc"})
	two := append(append([]byte{}, frame...), frame...)
	r := bytes.NewReader(two)
	buf := make([]byte, 0, 64)
	for i := 0; i < 2; i++ {
		got, err := ReadFrame(r, 100, buf)
		if err != nil || !bytes.Equal(got, frame[4:]) {
			t.Fatalf("frame %d: %x %v", i, got, err)
		}
		if &got[0] != &buf[:1][0] {
			t.Fatalf("frame %d did not reuse buf", i)
		}
	}
	if _, err := ReadFrame(r, 100, buf); err != io.EOF {
		t.Fatalf("end of stream: %v, want io.EOF", err)
	}

	// A buffer too small is replaced, not overrun.
	small := make([]byte, 2)
	got, err := ReadFrame(bytes.NewReader(frame), 100, small)
	if err != nil || !bytes.Equal(got, frame[4:]) || small[0] != 0 {
		t.Fatalf("small buf: %x %v %x", got, err, small)
	}

	// Empty frame.
	got, err = ReadFrame(bytes.NewReader([]byte{0, 0, 0, 0}), 100, nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty frame: %x %v", got, err)
	}

	// Exactly max is accepted, max+1 is not.
	if _, err = ReadFrame(bytes.NewReader(frame), len(frame)-4, nil); err != nil {
		t.Fatalf("frame of max bytes: %v", err)
	}
	if _, err = ReadFrame(bytes.NewReader(frame), len(frame)-5, nil); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("frame of max+1 bytes: %v", err)
	}
}

func TestReadFrameTruncated(t *testing.T) {
	frame := AppendFrame(nil, &PathRequest{Path: "/abc"})
	for n := 1; n < len(frame); n++ {
		_, err := ReadFrame(bytes.NewReader(frame[:n]), 100, nil)
		if err != io.ErrUnexpectedEOF {
			t.Fatalf("%d of %d bytes: %v, want io.ErrUnexpectedEOF", n, len(frame), err)
		}
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r *bytes.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReadFrameTooLargeRejectedEarly(t *testing.T) {
	for _, hdr := range [][]byte{
		{0x7f, 0xff, 0xff, 0xff}, // 2 GiB
		{0x00, 0x10, 0x00, 0x00}, // DefaultMaxBuffer+1
		{0xff, 0xff, 0xff, 0xff}, // -1
		{0x80, 0x00, 0x00, 0x00}, // MinInt32
		[]byte("ruok"),           // a four-letter word
	} {
		in := append(append([]byte{}, hdr...), make([]byte, 64)...)
		buf := make([]byte, 0, 16)
		var cr countingReader
		var err error
		allocs := testing.AllocsPerRun(20, func() {
			cr = countingReader{r: bytes.NewReader(in)}
			_, err = ReadFrame(&cr, DefaultMaxBuffer, buf)
		})
		var fe *FrameSizeError
		if !errors.Is(err, ErrFrameTooLarge) || !errors.As(err, &fe) {
			t.Fatalf("length %x: %v", hdr, err)
		}
		if cr.n != 4 {
			t.Fatalf("length %x: read %d bytes, want only the 4 of the length", hdr, cr.n)
		}
		// The only allocations allowed are the error and the reader.
		if allocs > 2 {
			t.Fatalf("length %x: %v allocations", hdr, allocs)
		}
		if string(hdr) == "ruok" && fe.Word() != "ruok" {
			t.Fatalf("Word() = %q", fe.Word())
		}
	}
}

func TestAppendReply(t *testing.T) {
	prefix := []byte("keep")
	resp := &GetDataResponse{Data: []byte("data"), Stat: sampleStat}
	h := ReplyHeader{Xid: 5, Zxid: 6, Err: 0}
	out := AppendReply(append([]byte{}, prefix...), h, resp)
	if !bytes.HasPrefix(out, prefix) {
		t.Fatal("prefix lost")
	}
	got, err := ReadFrame(bytes.NewReader(out[len(prefix):]), 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	var back GetDataResponse
	rh, err := ParseReply(got, &back)
	if err != nil || rh != h || !reflect.DeepEqual(&back, resp) {
		t.Fatalf("ParseReply: %+v %+v %v", rh, back, err)
	}

	// With room in dst, appending a reply allocates nothing.
	dst := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { dst = AppendReply(dst[:0], h, resp) }); n != 0 {
		t.Fatalf("AppendReply: %v allocations", n)
	}
}

func TestParseReplyErrorHasNoBody(t *testing.T) {
	frame := AppendReply(nil, ReplyHeader{Xid: 1, Zxid: 2, Err: ErrNoNode}, nil)
	var body GetDataResponse
	h, err := ParseReply(frame[4:], &body)
	if err != nil || h.Err != ErrNoNode || body.Data != nil {
		t.Fatalf("%+v %v", h, err)
	}
	if _, err := ParseReply(frame[4:10], nil); err == nil {
		t.Fatal("short reply header accepted")
	}
	ok := AppendReply(nil, ReplyHeader{Xid: 1}, nil)
	if _, err := ParseReply(ok[4:], &body); err == nil {
		t.Fatal("missing body accepted")
	}
}

func TestParseRequest(t *testing.T) {
	frame := AppendRequest(nil, RequestHeader{Xid: 3, Type: OpSetData}, &SetDataRequest{Path: "/a", Data: []byte{1}, Version: 2})
	h, body, err := ParseRequest(frame[4:])
	if err != nil || h != (RequestHeader{Xid: 3, Type: OpSetData}) ||
		!reflect.DeepEqual(body, &SetDataRequest{Path: "/a", Data: []byte{1}, Version: 2}) {
		t.Fatalf("%+v %+v %v", h, body, err)
	}
	ping := AppendRequest(nil, RequestHeader{Xid: XidPing, Type: OpPing}, nil)
	if h, body, err = ParseRequest(ping[4:]); err != nil || h.Xid != XidPing || body == nil {
		t.Fatalf("ping: %+v %v %v", h, body, err)
	}
	// Unknown op: the header comes back with an ErrUnimplemented error.
	unknown := AppendRequest(nil, RequestHeader{Xid: 4, Type: 55}, nil)
	if h, _, err = ParseRequest(unknown[4:]); h.Xid != 4 || !errors.Is(err, ErrUnimplemented) {
		t.Fatalf("unknown op: %+v %v", h, err)
	}
	if _, _, err = ParseRequest([]byte{0, 0, 0}); !errors.Is(err, ErrMarshallingError) {
		t.Fatalf("short header: %v", err)
	}
}
