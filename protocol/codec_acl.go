package protocol

// ACLs writes a vector<ACL> (nil as null), for record codecs outside this
// package such as ZooKeeper's snapshot and txn records.
func (e *Encoder) ACLs(acl []ACL) { encodeACLs(e, acl) }

// ACLs reads a vector<ACL>; null reads as nil.
func (d *Decoder) ACLs() []ACL { return decodeACLs(d) }
