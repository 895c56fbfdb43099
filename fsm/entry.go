package fsm

import (
	"errors"
	"fmt"

	"github.com/zkraft/zkraft/protocol"
)

// Entry layouts, all jute-encoded after the type byte:
//
//	EntryRequest  {sessionID long, cxid int, op int, time long, auth vector<Id>} raw body
//	EntryRequestOwned  as EntryRequest with {owner long} after auth
//	EntryInit     {secret buffer}
//	EntryExpire   {time long, sessions vector<long>}
//	EntryReap     {time long, paths vector<ustring>}
//
// The body of a request entry is the client's jute request as it came off
// the wire (for createSession, a CreateSessionBody).

// EncodeRequest builds an EntryRequest, or an EntryRequestOwned when the
// header names an owner.
func EncodeRequest(h *Header, body []byte) []byte {
	buf := make([]byte, 1, 40+len(body))
	buf[0] = EntryRequest
	if h.Owner != 0 {
		buf[0] = EntryRequestOwned
	}
	e := protocol.NewEncoder(buf)
	e.Long(h.SessionID)
	e.Int(h.Cxid)
	e.Int(int32(h.Op))
	e.Long(h.Time)
	e.Int(int32(len(h.Auth)))
	for _, id := range h.Auth {
		e.String(id.Scheme)
		e.String(id.ID)
	}
	if h.Owner != 0 {
		e.Long(h.Owner)
	}
	return append(e.Bytes(), body...)
}

// EncodeInit builds an EntryInit carrying the cluster secret. With no secret
// it changes nothing but the zxid: a new leader starts its epoch with one.
func EncodeInit(secret []byte) []byte {
	e := protocol.NewEncoder([]byte{EntryInit})
	e.Buffer(secret)
	return e.Bytes()
}

// EncodeExpire builds an EntryExpire.
func EncodeExpire(time int64, sessions []int64) []byte {
	e := protocol.NewEncoder([]byte{EntryExpire})
	e.Long(time)
	e.Int(int32(len(sessions)))
	for _, id := range sessions {
		e.Long(id)
	}
	return e.Bytes()
}

// EncodeReap builds an EntryReap.
func EncodeReap(time int64, paths []string) []byte {
	e := protocol.NewEncoder([]byte{EntryReap})
	e.Long(time)
	e.Strings(paths)
	return e.Bytes()
}

var errTrailing = errors.New("fsm: trailing bytes after entry")

// DecodeRequest splits an EntryRequest (type byte included) into its header
// and raw body.
func DecodeRequest(entry []byte) (Header, []byte, error) {
	if !IsRequest(entry) {
		return Header{}, nil, fmt.Errorf("fsm: not a request entry")
	}
	d := protocol.NewDecoder(entry[1:])
	var h Header
	h.SessionID = d.Long()
	h.Cxid = d.Int()
	h.Op = protocol.OpCode(d.Int())
	h.Time = d.Long()
	if n := d.VectorLen(8); n > 0 {
		h.Auth = make([]protocol.Id, n)
		for i := range h.Auth {
			h.Auth[i].Scheme = d.String()
			h.Auth[i].ID = d.String()
		}
	}
	if entry[0] == EntryRequestOwned {
		h.Owner = d.Long()
	}
	if err := d.Err(); err != nil {
		return Header{}, nil, fmt.Errorf("fsm: request entry header: %w", err)
	}
	return h, d.Rest(), nil
}

// IsRequest reports whether entry is a client request (owned or not).
func IsRequest(entry []byte) bool {
	return len(entry) > 0 && (entry[0] == EntryRequest || entry[0] == EntryRequestOwned)
}

// DecodeInit reads an EntryInit (type byte included).
func DecodeInit(entry []byte) ([]byte, error) {
	if len(entry) == 0 || entry[0] != EntryInit {
		return nil, fmt.Errorf("fsm: not an init entry")
	}
	d := protocol.NewDecoder(entry[1:])
	secret := d.Buffer()
	return secret, finish(d, "init")
}

// DecodeExpire reads an EntryExpire (type byte included).
func DecodeExpire(entry []byte) (int64, []int64, error) {
	if len(entry) == 0 || entry[0] != EntryExpire {
		return 0, nil, fmt.Errorf("fsm: not an expire entry")
	}
	d := protocol.NewDecoder(entry[1:])
	time := d.Long()
	var ids []int64
	if n := d.VectorLen(8); n > 0 {
		ids = make([]int64, n)
		for i := range ids {
			ids[i] = d.Long()
		}
	}
	return time, ids, finish(d, "expire")
}

// DecodeReap reads an EntryReap (type byte included).
func DecodeReap(entry []byte) (int64, []string, error) {
	if len(entry) == 0 || entry[0] != EntryReap {
		return 0, nil, fmt.Errorf("fsm: not a reap entry")
	}
	d := protocol.NewDecoder(entry[1:])
	time := d.Long()
	paths := d.Strings()
	return time, paths, finish(d, "reap")
}

func finish(d *protocol.Decoder, what string) error {
	if err := d.Err(); err != nil {
		return fmt.Errorf("fsm: %s entry: %w", what, err)
	}
	if d.Remaining() != 0 {
		return fmt.Errorf("fsm: %s entry: %w", what, errTrailing)
	}
	return nil
}
