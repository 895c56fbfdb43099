package main

import "testing"

// TestMembersFromConf: the server.N lines of a conf answer (ZooKeeper's
// "membership:" block) become rows; a wildcard client host is replaced by
// the quorum host; lines without a client port are skipped.
func TestMembersFromConf(t *testing.T) {
	conf := "clientPort=2181\nserverId=2\nmembership: \n" +
		"server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181\n" +
		"server.2=10.0.0.2:2888:3888:observer;10.0.1.2:2182\n" +
		"server.3=10.0.0.3:2888:3888\nversion=100000000\n"
	rows := membersFromConf(conf)
	if len(rows) != 2 || rows[0].ID != 1 || rows[0].ClientAddr != "10.0.0.1:2181" || rows[0].Role != "participant" ||
		rows[1].ID != 2 || rows[1].ClientAddr != "10.0.1.2:2182" || rows[1].Role != "observer" {
		t.Errorf("rows %+v", rows)
	}
}

// TestSummarize: quorum needs a leader and a majority of the voters
// leading or following; observers do not count; lag is the difference of
// the zxids' low halves.
func TestSummarize(t *testing.T) {
	row := func(id int, role, state string, zxid int64) statusRow {
		return statusRow{ID: id, Role: role, State: state, Zxid: zxid}
	}
	rep := summarize("x", []statusRow{
		row(3, "participant", "follower", 5<<32|90), row(1, "participant", "leader", 5<<32|100),
		row(2, "participant", "unreachable", 0), row(4, "observer", "observer", 4<<32|40),
	})
	if !rep.Quorum || rep.LeaderID != 1 || rep.Voters != 3 || rep.Healthy != 2 || rep.Members[0].ID != 1 {
		t.Fatalf("report %+v", rep)
	}
	if l := rep.Members[2].Lag; l == nil || *l != 10 {
		t.Errorf("follower lag %v, want 10", l)
	}
	if l := rep.Members[3].Lag; l == nil || *l != 60 {
		t.Errorf("observer lag across terms %v, want 60", l)
	}
	if rep.Members[1].Lag != nil {
		t.Errorf("unreachable member has a lag")
	}
	rep = summarize("x", []statusRow{row(1, "participant", "leader", 0), row(2, "participant", "looking", 0),
		row(3, "participant", "unreachable", 0)})
	if rep.Quorum {
		t.Errorf("1 of 3 voters healthy counted as a quorum: %+v", rep)
	}
}
