package protocol

// Encode/Decode of the response bodies (multi is in codec_multi.go).
//
// Vectors in responses are never written as null (-1): ZooKeeper servers
// always send a list, and go-zookeeper/zk cannot read a null vector (it takes
// the -1 count as 4294967295 elements). A nil slice is written as an empty
// vector; decoding still maps a null vector to nil.

// encodeList writes a vector<ustring> of a response; nil is written as empty.
func encodeList(e *Encoder, v []string) {
	if v == nil {
		e.Int(0)
		return
	}
	e.Strings(v)
}

func (r *CreateResponse) Encode(e *Encoder) { e.String(r.Path) }
func (r *CreateResponse) Decode(d *Decoder) { r.Path = d.String() }

func (r *Create2Response) Encode(e *Encoder) {
	e.String(r.Path)
	r.Stat.Encode(e)
}

func (r *Create2Response) Decode(d *Decoder) {
	r.Path = d.String()
	r.Stat.Decode(d)
}

func (r *StatResponse) Encode(e *Encoder) { r.Stat.Encode(e) }
func (r *StatResponse) Decode(d *Decoder) { r.Stat.Decode(d) }

func (r *GetDataResponse) Encode(e *Encoder) {
	e.Buffer(r.Data)
	r.Stat.Encode(e)
}

func (r *GetDataResponse) Decode(d *Decoder) {
	r.Data = d.Buffer()
	r.Stat.Decode(d)
}

func (r *GetACLResponse) Encode(e *Encoder) {
	if r.ACL == nil {
		e.Int(0)
	} else {
		encodeACLs(e, r.ACL)
	}
	r.Stat.Encode(e)
}

func (r *GetACLResponse) Decode(d *Decoder) {
	r.ACL = decodeACLs(d)
	r.Stat.Decode(d)
}

func (r *GetChildrenResponse) Encode(e *Encoder) { encodeList(e, r.Children) }
func (r *GetChildrenResponse) Decode(d *Decoder) { r.Children = d.Strings() }

func (r *GetChildren2Response) Encode(e *Encoder) {
	encodeList(e, r.Children)
	r.Stat.Encode(e)
}

func (r *GetChildren2Response) Decode(d *Decoder) {
	r.Children = d.Strings()
	r.Stat.Decode(d)
}

func (r *GetAllChildrenNumberResponse) Encode(e *Encoder) { e.Int(r.TotalNumber) }
func (r *GetAllChildrenNumberResponse) Decode(d *Decoder) { r.TotalNumber = d.Int() }

func (r *PathResponse) Encode(e *Encoder) { e.String(r.Path) }
func (r *PathResponse) Decode(d *Decoder) { r.Path = d.String() }

func (r *GetEphemeralsResponse) Encode(e *Encoder) { encodeList(e, r.Ephemerals) }
func (r *GetEphemeralsResponse) Decode(d *Decoder) { r.Ephemerals = d.Strings() }

func (r *WhoAmIResponse) Encode(e *Encoder) {
	e.Int(int32(len(r.ClientInfo))) // nil is written as empty
	for i := range r.ClientInfo {
		r.ClientInfo[i].Encode(e)
	}
}

func (r *WhoAmIResponse) Decode(d *Decoder) {
	r.ClientInfo = nil
	n := d.VectorLen(minClientInfoSize)
	if n < 0 {
		return
	}
	out := make([]ClientInfo, n)
	for i := range out {
		out[i].Decode(d)
	}
	if d.Err() == nil {
		r.ClientInfo = out
	}
}
