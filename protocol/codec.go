package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// Record is a jute record: it writes itself to an Encoder and reads itself
// from a Decoder. Decode leaves any failure in the Decoder's sticky error.
type Record interface {
	Encode(e *Encoder)
	Decode(d *Decoder)
}

// ErrShortBuffer means a record ended before all its fields were read.
var ErrShortBuffer = errors.New("jute: record truncated")

// Encoder appends jute-encoded values to a byte slice.
type Encoder struct {
	buf []byte
}

// NewEncoder returns an Encoder appending to buf (which may be nil).
func NewEncoder(buf []byte) *Encoder { return &Encoder{buf: buf} }

// Bytes returns the encoded bytes.
func (e *Encoder) Bytes() []byte { return e.buf }

// Reset empties the encoder, keeping its memory.
func (e *Encoder) Reset() { e.buf = e.buf[:0] }

func (e *Encoder) Int(v int32)  { e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(v)) }
func (e *Encoder) Long(v int64) { e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v)) }

func (e *Encoder) Bool(v bool) {
	if v {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}

// String writes a jute ustring: an int length then the UTF-8 bytes.
func (e *Encoder) String(s string) {
	e.Int(int32(len(s)))
	e.buf = append(e.buf, s...)
}

// Buffer writes a jute buffer; nil is written as length -1, as Java does.
func (e *Encoder) Buffer(b []byte) {
	if b == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(b)))
	e.buf = append(e.buf, b...)
}

// Strings writes a vector<ustring>; nil is written as length -1.
func (e *Encoder) Strings(v []string) {
	if v == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(v)))
	for _, s := range v {
		e.String(s)
	}
}

// Decoder reads jute values from a byte slice. The first failure sticks: later
// reads return zero values and Err reports it. Every length read from the
// input is checked against what is left before anything is allocated.
type Decoder struct {
	buf []byte
	off int
	err error
}

// NewDecoder returns a Decoder over b.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

// Err is the first error met, or nil.
func (d *Decoder) Err() error { return d.err }

// Remaining is the number of unread bytes.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Rest returns the unread bytes without consuming them.
func (d *Decoder) Rest() []byte { return d.buf[d.off:] }

// Fail records err unless an earlier error is already recorded.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *Decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.buf)-d.off {
		d.err = ErrShortBuffer
		return nil
	}
	b := d.buf[d.off : d.off+n]
	d.off += n
	return b
}

func (d *Decoder) Int() int32 {
	b := d.take(4)
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

func (d *Decoder) Long() int64 {
	b := d.take(8)
	if b == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

func (d *Decoder) Bool() bool {
	b := d.take(1)
	return b != nil && b[0] != 0
}

// length reads a length prefix; -1 means null and is returned as -1.
func (d *Decoder) length() int {
	n := d.Int()
	if d.err != nil {
		return 0
	}
	if n < -1 {
		d.Fail(fmt.Errorf("jute: negative length %d", n))
		return 0
	}
	if int(n) > d.Remaining() {
		d.Fail(fmt.Errorf("jute: length %d exceeds the %d bytes left", n, d.Remaining()))
		return 0
	}
	return int(n)
}

// String reads a ustring; a null string reads as "".
func (d *Decoder) String() string {
	n := d.length()
	if n <= 0 {
		return ""
	}
	return string(d.take(n))
}

// Buffer reads a buffer into a fresh slice; null reads as nil.
func (d *Decoder) Buffer() []byte {
	n := d.length()
	if n < 0 || d.err != nil {
		return nil
	}
	b := d.take(n)
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, n), b...)
}

// Strings reads a vector<ustring>; null reads as nil. Each element takes at
// least four bytes, which bounds the count before allocation.
func (d *Decoder) Strings() []string {
	n := d.vectorLen(4)
	if n < 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.String()
	}
	if d.err != nil {
		return nil
	}
	return out
}

// VectorLen reads a vector length whose elements take at least minElem bytes
// each. It returns -1 for a null vector or on error.
func (d *Decoder) vectorLen(minElem int) int {
	n := d.Int()
	if d.err != nil || n == -1 {
		return -1
	}
	if n < 0 || int(n) > d.Remaining()/minElem {
		d.Fail(fmt.Errorf("jute: vector of %d elements exceeds the %d bytes left", n, d.Remaining()))
		return -1
	}
	return int(n)
}

// VectorLen is vectorLen for record codecs outside this file.
func (d *Decoder) VectorLen(minElem int) int { return d.vectorLen(minElem) }

// Marshal encodes r into a new slice.
func Marshal(r Record) []byte {
	e := Encoder{}
	r.Encode(&e)
	return e.buf
}

// Unmarshal decodes b into r. Trailing bytes are not an error (ZooKeeper
// ignores them too); a truncated record is.
func Unmarshal(b []byte, r Record) error {
	d := decoderPool.Get().(*Decoder)
	*d = Decoder{buf: b}
	r.Decode(d)
	err := d.err
	*d = Decoder{}
	decoderPool.Put(d)
	return err
}

// decoderPool spares Unmarshal an allocation per call: the Decoder escapes
// through the Record interface, so it cannot live on the stack.
var decoderPool = sync.Pool{New: func() any { return new(Decoder) }}
