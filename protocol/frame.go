package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Every message on a client connection is a frame: a 4-byte big-endian length
// and that many bytes. The first request frame of a connection holds a bare
// ConnectRequest and its answer a bare ConnectResponse; after that a request
// frame is a RequestHeader and a body, a reply frame a ReplyHeader and a body.

// ErrFrameTooLarge is matched (errors.Is) by the error ReadFrame returns for a
// length that is negative or above the limit. ZooKeeper closes the connection
// in that case; the *FrameSizeError holding it tells the length.
var ErrFrameTooLarge = errors.New("protocol: frame length out of range")

// FrameSizeError reports a frame length out of range. The four length bytes
// may be a four-letter word ("ruok" reads as a length of 1920298859); Word
// returns them as text so a server can tell.
type FrameSizeError struct {
	Length int32 // the length as read, possibly negative
	Max    int
}

func (e *FrameSizeError) Error() string {
	return fmt.Sprintf("protocol: frame length %d out of range [0, %d]", e.Length, e.Max)
}

// Is makes errors.Is(err, ErrFrameTooLarge) hold.
func (e *FrameSizeError) Is(target error) bool { return target == ErrFrameTooLarge }

// Word returns the four length bytes as a string.
func (e *FrameSizeError) Word() string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(e.Length))
	return string(b[:])
}

const (
	requestHeaderSize = 4 + 4
	replyHeaderSize   = 4 + 8 + 4
)

// ReadFrame reads one frame from r and returns its payload. The payload reuses
// buf's memory when cap(buf) is large enough, so it is only valid until the
// next call with the same buf. A length below 0 or above max is rejected with
// a *FrameSizeError before any body byte is read or allocated. A clean end of
// stream before a frame starts is io.EOF; one inside a frame is
// io.ErrUnexpectedEOF.
func ReadFrame(r io.Reader, max int, buf []byte) ([]byte, error) {
	if cap(buf) < 4 {
		buf = make([]byte, 4, 256)
	}
	hdr := buf[:4]
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(hdr))
	if n < 0 || int64(n) > int64(max) {
		return nil, &FrameSizeError{Length: n, Max: max}
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	b := buf[:n]
	if _, err := io.ReadFull(r, b); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}

// encoderPool holds Encoders for the Append functions: a Record's Encode is an
// interface call, so an Encoder on the stack would escape to the heap on every
// reply.
var encoderPool = sync.Pool{New: func() any { return new(Encoder) }}

// appendRecord appends r's encoding to dst.
func appendRecord(dst []byte, r Record) []byte {
	e := encoderPool.Get().(*Encoder)
	e.buf = dst
	r.Encode(e)
	dst = e.buf
	e.buf = nil
	encoderPool.Put(e)
	return dst
}

// beginFrame reserves the length prefix; endFrame fills it in.
func beginFrame(dst []byte) ([]byte, int) { return append(dst, 0, 0, 0, 0), len(dst) }

func endFrame(dst []byte, start int) []byte {
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}

// AppendReply appends a whole reply frame: length, header and body (nil for a
// reply without a body, e.g. any reply whose header carries an error).
func AppendReply(dst []byte, h ReplyHeader, body Record) []byte {
	dst, start := beginFrame(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.Xid))
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.Zxid))
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.Err))
	if body != nil {
		dst = appendRecord(dst, body)
	}
	return endFrame(dst, start)
}

// AppendRequest appends a whole request frame: length, header and body (nil
// for a request without one, e.g. ping).
func AppendRequest(dst []byte, h RequestHeader, body Record) []byte {
	dst, start := beginFrame(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.Xid))
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.Type))
	if body != nil {
		dst = appendRecord(dst, body)
	}
	return endFrame(dst, start)
}

// AppendFrame appends a frame holding the bare record r (the ConnectRequest
// and ConnectResponse, which have no header).
func AppendFrame(dst []byte, r Record) []byte {
	dst, start := beginFrame(dst)
	dst = appendRecord(dst, r)
	return endFrame(dst, start)
}

// ParseRequest splits a request frame payload into its header and decoded
// body. When the header is readable but the body is not (unknown op,
// malformed body), the header is returned with the error so that the caller
// can answer the request's xid; see DecodeRequest for the error kinds.
func ParseRequest(frame []byte) (RequestHeader, Record, error) {
	var h RequestHeader
	if len(frame) < requestHeaderSize {
		return h, nil, fmt.Errorf("protocol: request of %d bytes has no header: %w: %w",
			len(frame), ErrMarshallingError, ErrShortBuffer)
	}
	h.Xid = int32(binary.BigEndian.Uint32(frame))
	h.Type = OpCode(binary.BigEndian.Uint32(frame[4:]))
	body, err := DecodeRequest(h.Type, frame[requestHeaderSize:])
	return h, body, err
}

// ParseReply decodes a reply frame payload: the header, then the body into
// body when the header carries no error (ZooKeeper sends no body then) and
// body is not nil.
func ParseReply(frame []byte, body Record) (ReplyHeader, error) {
	var h ReplyHeader
	if len(frame) < replyHeaderSize {
		return h, fmt.Errorf("protocol: reply of %d bytes has no header: %w", len(frame), ErrShortBuffer)
	}
	h.Xid = int32(binary.BigEndian.Uint32(frame))
	h.Zxid = int64(binary.BigEndian.Uint64(frame[4:]))
	h.Err = ErrCode(binary.BigEndian.Uint32(frame[12:]))
	if h.Err != ErrOK || body == nil {
		return h, nil
	}
	if err := Unmarshal(frame[replyHeaderSize:], body); err != nil {
		return h, fmt.Errorf("protocol: decode reply body: %w", err)
	}
	return h, nil
}
