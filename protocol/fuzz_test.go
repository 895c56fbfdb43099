package protocol

import (
	"bytes"
	"reflect"
	"testing"
)

// Every decoder must turn any input into either an error or a record that
// re-encodes stably: encode(decode(encode(x))) == encode(x) for x = decode(b).
// None may panic. Seeds are the encodings of the round-trip samples.

func stable(t *testing.T, r Record, decode func([]byte) (Record, error)) {
	t.Helper()
	b1 := Marshal(r)
	r2, err := decode(b1)
	if err != nil {
		t.Fatalf("re-decoding %x: %v", b1, err)
	}
	if b2 := Marshal(r2); !bytes.Equal(b1, b2) {
		t.Fatalf("unstable encoding:\n%x\n%x", b1, b2)
	}
}

func FuzzDecodeRequest(f *testing.F) {
	for _, op := range AllOpCodes() {
		if r, ok := NewRequest(op); ok {
			f.Add(int32(op), Marshal(r))
		}
	}
	for _, r := range sampleRecords() {
		for _, op := range AllOpCodes() {
			if want, ok := NewRequest(op); ok && reflect.TypeOf(want) == reflect.TypeOf(r) {
				f.Add(int32(op), Marshal(r))
			}
		}
	}
	f.Fuzz(func(t *testing.T, op int32, body []byte) {
		r, err := DecodeRequest(OpCode(op), body)
		if err != nil {
			return
		}
		stable(t, r, func(b []byte) (Record, error) { return DecodeRequest(OpCode(op), b) })
	})
}

func FuzzConnectRequest(f *testing.F) {
	f.Add(Marshal(&ConnectRequest{TimeOut: 4000, Passwd: make([]byte, 16)}))
	f.Add(Marshal(&ConnectRequest{TimeOut: 4000, Passwd: make([]byte, 16), HasReadOnly: true, ReadOnly: true}))
	f.Add(Marshal(&ConnectRequest{SessionID: 1, LastZxidSeen: 2}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r ConnectRequest
		if Unmarshal(b, &r) != nil {
			return
		}
		stable(t, &r, func(b []byte) (Record, error) {
			var r ConnectRequest
			return &r, Unmarshal(b, &r)
		})
	})
}

func FuzzMultiRequest(f *testing.F) {
	f.Add(Marshal(sampleMultiRequest()))
	f.Add(Marshal(sampleMultiReadRequest()))
	f.Add(Marshal(&MultiRequest{}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r MultiRequest
		if Unmarshal(b, &r) != nil {
			return
		}
		stable(t, &r, func(b []byte) (Record, error) {
			var r MultiRequest
			return &r, Unmarshal(b, &r)
		})
	})
}

func FuzzMultiResponse(f *testing.F) {
	f.Add(Marshal(sampleMultiResponse()))
	f.Add(Marshal(&MultiResponse{}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r MultiResponse
		if Unmarshal(b, &r) != nil {
			return
		}
		stable(t, &r, func(b []byte) (Record, error) {
			var r MultiResponse
			return &r, Unmarshal(b, &r)
		})
	})
}

func FuzzReadFrame(f *testing.F) {
	f.Add(AppendFrame(nil, &PathRequest{Path: "/a"}), uint16(100), uint8(8))
	f.Add([]byte("ruok"), uint16(100), uint8(0))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1}, uint16(100), uint8(64))
	f.Fuzz(func(t *testing.T, b []byte, max uint16, bufCap uint8) {
		got, err := ReadFrame(bytes.NewReader(b), int(max), make([]byte, 0, bufCap))
		if err != nil {
			return
		}
		if len(got) > int(max) || len(b) < 4+len(got) || !bytes.Equal(got, b[4:4+len(got)]) {
			t.Fatalf("frame %x from %x (max %d)", got, b, max)
		}
	})
}

func FuzzValidatePath(f *testing.F) {
	for _, p := range []string{"/", "/a/b", "/a/", "/a//b", "/.", "/a/..", "/\x00", "/\u0080", "/\ufff0", "/\U0001F600", "/a\xff"} {
		f.Add(p, false)
		f.Add(p, true)
	}
	f.Fuzz(func(t *testing.T, path string, sequential bool) {
		err := ValidatePath(path, sequential)
		ref := referenceValidatePath(path, sequential)
		if (err == nil) != (ref == "") {
			t.Fatalf("ValidatePath(%q, %v) = %v, reference says %q", path, sequential, err, ref)
		}
		if err == nil && path != "/" && !sequential {
			p, base := Parent(path), Base(path)
			joined := p + "/" + base
			if p == "/" {
				joined = "/" + base
			}
			if ValidatePath(p, false) != nil || joined != path {
				t.Fatalf("Parent(%q) = %q, Base %q", path, p, base)
			}
		}
	})
}
