/* C client suite: the core API: connect, create, get, set, exists and
 * child watches, delete, multi, digest ACLs, close. */

#include "compat.h"

/* ---- cases; each gets a handle and its own root ---- */

int case_connect(zhandle_t *zh, const char *root)
{
	(void)root;
	const clientid_t *id = zoo_client_id(zh);
	CHECK(id != NULL && id->client_id != 0, "no session id after connecting");
	int timeout = zoo_recv_timeout(zh);
	CHECK(timeout >= 1000 && timeout <= 10000, "negotiated timeout %d ms, asked 10000", timeout);
	CHECK(zoo_state(zh) == ZOO_CONNECTED_STATE, "state %d", zoo_state(zh));
	return 1;
}

int case_create(zhandle_t *zh, const char *root)
{
	char p[512], got[512];
	struct Stat st;

	EXPECT_RC(zoo_create(zh, join(p, sizeof p, root, "a"), "data", 4, &ZOO_OPEN_ACL_UNSAFE, 0, got, sizeof got), ZOK);
	CHECK(strcmp(got, p) == 0, "created path %s, want %s", got, p);
	EXPECT_RC(zoo_create(zh, p, "x", 1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZNODEEXISTS);
	EXPECT_RC(zoo_create(zh, join(p, sizeof p, root, "missing/child"), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZNONODE);
	EXPECT_RC(zoo_create(zh, join(p, sizeof p, root, "seq-"), NULL, -1, &ZOO_OPEN_ACL_UNSAFE,
			     ZOO_PERSISTENT_SEQUENTIAL, got, sizeof got), ZOK);
	CHECK(strcmp(got + strlen(p), "0000000001") == 0, "sequential path %s", got);
	EXPECT_RC(zoo_create(zh, p, NULL, -1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_SEQUENTIAL, got, sizeof got), ZOK);
	CHECK(strcmp(got + strlen(p), "0000000002") == 0, "second sequential path %s", got);
	EXPECT_RC(zoo_create2(zh, join(p, sizeof p, root, "eph"), "e", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, got,
			      sizeof got, &st), ZOK);
	CHECK(st.ephemeralOwner == zoo_client_id(zh)->client_id, "ephemeralOwner %llx, session %llx",
	      (unsigned long long)st.ephemeralOwner, (unsigned long long)zoo_client_id(zh)->client_id);
	CHECK(st.dataLength == 1 && st.version == 0 && st.czxid == st.mzxid, "create2 stat");
	EXPECT_RC(zoo_create(zh, join(p, sizeof p, root, "eph/kid"), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0),
		  ZNOCHILDRENFOREPHEMERALS);
	EXPECT_RC(zoo_create(zh, "bad/path", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZBADARGUMENTS);
	return 1;
}

int case_get(zhandle_t *zh, const char *root)
{
	char p[512], buf[64];
	int len = sizeof buf;
	struct Stat st;

	EXPECT_RC(zoo_create(zh, join(p, sizeof p, root, "g"), "hello", 5, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
	EXPECT_RC(zoo_get(zh, p, 0, buf, &len, &st), ZOK);
	CHECK(len == 5 && memcmp(buf, "hello", 5) == 0, "data %.*s (%d bytes)", len, buf, len);
	CHECK(st.dataLength == 5 && st.version == 0 && st.numChildren == 0, "stat of get");
	len = 3; /* a short buffer gets the first bytes */
	EXPECT_RC(zoo_get(zh, p, 0, buf, &len, &st), ZOK);
	CHECK(len == 3 && memcmp(buf, "hel", 3) == 0, "short read %.*s", len, buf);
	EXPECT_RC(zoo_create(zh, join(p, sizeof p, root, "null"), NULL, -1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
	len = sizeof buf;
	EXPECT_RC(zoo_get(zh, p, 0, buf, &len, &st), ZOK);
	CHECK(len == -1, "null data read back as %d bytes, want -1", len);
	len = sizeof buf;
	EXPECT_RC(zoo_get(zh, join(p, sizeof p, root, "nope"), 0, buf, &len, &st), ZNONODE);
	return 1;
}

int case_set(zhandle_t *zh, const char *root)
{
	char p[512], buf[64];
	int len = sizeof buf;
	struct Stat st;

	EXPECT_RC(zoo_create(zh, join(p, sizeof p, root, "s"), "v0", 2, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
	EXPECT_RC(zoo_set(zh, p, "v1", 2, 0), ZOK);
	EXPECT_RC(zoo_set(zh, p, "v2", 2, 0), ZBADVERSION);
	EXPECT_RC(zoo_set2(zh, p, "value2", 6, 1, &st), ZOK);
	CHECK(st.version == 2 && st.dataLength == 6 && st.mzxid > st.czxid, "set2 stat version %d len %d",
	      st.version, st.dataLength);
	EXPECT_RC(zoo_set(zh, p, "any", 3, -1), ZOK);
	EXPECT_RC(zoo_get(zh, p, 0, buf, &len, &st), ZOK);
	CHECK(len == 3 && memcmp(buf, "any", 3) == 0 && st.version == 3, "data after set");
	EXPECT_RC(zoo_set(zh, join(p, sizeof p, root, "nope"), "x", 1, -1), ZNONODE);
	return 1;
}

int case_exists_watch(zhandle_t *zh, const char *root)
{
	static const char *tag = "exists";
	char p[512], buf[16];
	int len = sizeof buf;
	struct Stat st;

	join(p, sizeof p, root, "w");
	EXPECT_RC(zoo_wexists(zh, p, watcher, (void *)tag, &st), ZNONODE);
	EXPECT_RC(zoo_create(zh, p, "1", 1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
	CHECK(wait_event(ZOO_CREATED_EVENT, p, tag, WAIT_MS), "no created event for %s", p);
	EXPECT_RC(zoo_wexists(zh, p, watcher, (void *)tag, &st), ZOK);
	CHECK(st.version == 0, "exists stat version %d", st.version);
	EXPECT_RC(zoo_set(zh, p, "2", 1, -1), ZOK);
	CHECK(wait_event(ZOO_CHANGED_EVENT, p, tag, WAIT_MS), "no changed event for %s", p);
	EXPECT_RC(zoo_wget(zh, p, watcher, (void *)tag, buf, &len, &st), ZOK);
	EXPECT_RC(zoo_delete(zh, p, -1), ZOK);
	CHECK(wait_event(ZOO_DELETED_EVENT, p, tag, WAIT_MS), "no deleted event for %s", p);
	/* One-shot: a further change fires nothing. */
	EXPECT_RC(zoo_create(zh, p, "3", 1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
	EXPECT_RC(zoo_exists(zh, p, 0, &st), ZOK); /* a round trip after the create */
	CHECK(count_events(tag) == 0, "%d unexpected events after the watches fired", count_events(tag));
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int case_get_children(zhandle_t *zh, const char *root)
{
	static const char *tag = "children";
	char p[512], k[512];
	struct String_vector kids;
	struct Stat st;
	const char *names[] = {"b", "a", "c"};

	join(p, sizeof p, root, "parent");
	EXPECT_RC(zoo_create(zh, p, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
	for (int i = 0; i < 3; i++)
		EXPECT_RC(zoo_create(zh, join(k, sizeof k, p, names[i]), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
	EXPECT_RC(zoo_wget_children2(zh, p, watcher, (void *)tag, &kids, &st), ZOK);
	CHECK(kids.count == 3, "%d children, want 3", kids.count);
	qsort(kids.data, (size_t)kids.count, sizeof kids.data[0], cmp_str);
	CHECK(strcmp(kids.data[0], "a") == 0 && strcmp(kids.data[1], "b") == 0 && strcmp(kids.data[2], "c") == 0,
	      "children %s %s %s", kids.data[0], kids.data[1], kids.data[2]);
	CHECK(st.numChildren == 3 && st.cversion == 3, "stat numChildren %d cversion %d", st.numChildren, st.cversion);
	deallocate_String_vector(&kids);
	EXPECT_RC(zoo_create(zh, join(k, sizeof k, p, "d"), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
	CHECK(wait_event(ZOO_CHILD_EVENT, p, tag, WAIT_MS), "no child event for %s", p);
	EXPECT_RC(zoo_get_children(zh, p, 0, &kids), ZOK);
	CHECK(kids.count == 4, "%d children after a create, want 4", kids.count);
	deallocate_String_vector(&kids);
	EXPECT_RC(zoo_get_children(zh, join(k, sizeof k, root, "nope"), 0, &kids), ZNONODE);
	return 1;
}

int case_delete(zhandle_t *zh, const char *root)
{
	char p[512], k[512];
	struct Stat st;

	join(p, sizeof p, root, "d");
	EXPECT_RC(zoo_create(zh, p, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
	EXPECT_RC(zoo_create(zh, join(k, sizeof k, p, "kid"), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
	EXPECT_RC(zoo_delete(zh, p, -1), ZNOTEMPTY);
	EXPECT_RC(zoo_delete(zh, k, 5), ZBADVERSION);
	EXPECT_RC(zoo_delete(zh, k, 0), ZOK);
	EXPECT_RC(zoo_delete(zh, k, -1), ZNONODE);
	EXPECT_RC(zoo_delete(zh, p, -1), ZOK);
	EXPECT_RC(zoo_exists(zh, p, 0, &st), ZNONODE);
	return 1;
}

int case_multi(zhandle_t *zh, const char *root)
{
	char a[512], b[512], c[512], buf[64], created[512];
	int len = sizeof buf;
	zoo_op_t ops[4];
	zoo_op_result_t res[4];
	struct Stat st, setst;

	join(a, sizeof a, root, "new");
	join(b, sizeof b, root, "b");
	join(c, sizeof c, root, "c");
	EXPECT_RC(zoo_create(zh, b, "b0", 2, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
	EXPECT_RC(zoo_create(zh, c, "c0", 2, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);

	/* A failing check in the middle: nothing is applied, every op reports. */
	zoo_create_op_init(&ops[0], a, "n", 1, &ZOO_OPEN_ACL_UNSAFE, 0, created, sizeof created);
	zoo_set_op_init(&ops[1], b, "b1", 2, 0, &setst);
	zoo_check_op_init(&ops[2], c, 7);
	zoo_delete_op_init(&ops[3], b, -1);
	memset(res, 0, sizeof res);
	EXPECT_RC(zoo_multi(zh, 4, ops, res), ZBADVERSION);
	CHECK(res[0].err == ZOK && res[1].err == ZOK && res[2].err == ZBADVERSION && res[3].err == ZRUNTIMEINCONSISTENCY,
	      "per-op results %d %d %d %d, want 0 0 %d %d", res[0].err, res[1].err, res[2].err, res[3].err,
	      ZBADVERSION, ZRUNTIMEINCONSISTENCY);
	EXPECT_RC(zoo_exists(zh, a, 0, &st), ZNONODE);
	EXPECT_RC(zoo_get(zh, b, 0, buf, &len, &st), ZOK);
	CHECK(len == 2 && memcmp(buf, "b0", 2) == 0 && st.version == 0, "the failed multi changed %s", b);

	/* The same ops with the right version all apply. */
	zoo_create_op_init(&ops[0], a, "n", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_SEQUENTIAL, created, sizeof created);
	zoo_set_op_init(&ops[1], b, "b1", 2, 0, &setst);
	zoo_check_op_init(&ops[2], c, 0);
	zoo_delete_op_init(&ops[3], c, 0);
	memset(res, 0, sizeof res);
	EXPECT_RC(zoo_multi(zh, 4, ops, res), ZOK);
	for (int i = 0; i < 4; i++)
		CHECK(res[i].err == ZOK, "op %d of a good multi: %s", i, zerror(res[i].err));
	CHECK(strncmp(created, a, strlen(a)) == 0 && strlen(created) == strlen(a) + 10, "created %s", created);
	CHECK(setst.version == 1 && setst.dataLength == 2, "set stat version %d", setst.version);
	EXPECT_RC(zoo_exists(zh, c, 0, &st), ZNONODE);
	EXPECT_RC(zoo_exists(zh, created, 0, &st), ZOK);

	/* Deleting the same node twice: the second fails, the first rolls back. */
	zoo_delete_op_init(&ops[0], b, -1);
	zoo_delete_op_init(&ops[1], b, -1);
	memset(res, 0, sizeof res);
	EXPECT_RC(zoo_multi(zh, 2, ops, res), ZNONODE);
	CHECK(res[0].err == ZOK && res[1].err == ZNONODE, "results %d %d", res[0].err, res[1].err);
	EXPECT_RC(zoo_exists(zh, b, 0, &st), ZOK);
	return 1;
}

int case_acl_digest(zhandle_t *zh, const char *root)
{
	char p[512], buf[16];
	int len = sizeof buf;
	struct Stat st;
	struct ACL_vector acl;
	zhandle_t *other;
	int ok = 0;

	join(p, sizeof p, root, "secret");
	/* "auth" ACLs need an identity on the connection first. */
	EXPECT_RC(zoo_create(zh, p, "s", 1, &ZOO_CREATOR_ALL_ACL, 0, NULL, 0), ZINVALIDACL);
	EXPECT_RC(add_auth(zh, "cuser:cpw"), ZOK);
	EXPECT_RC(zoo_create(zh, p, "s", 1, &ZOO_CREATOR_ALL_ACL, 0, NULL, 0), ZOK);
	EXPECT_RC(zoo_get_acl(zh, p, &acl, &st), ZOK);
	CHECK(acl.count == 1 && strcmp(acl.data[0].id.scheme, "digest") == 0 &&
		      strcmp(acl.data[0].id.id, "cuser:DzS0u7He87Oqg/l9eIWyaH9kGoE=") == 0 && acl.data[0].perms == ZOO_PERM_ALL,
	      "ACL %d entries, first %s:%s perms %d", acl.count, acl.count ? acl.data[0].id.scheme : "",
	      acl.count ? acl.data[0].id.id : "", acl.count ? acl.data[0].perms : 0);
	deallocate_ACL_vector(&acl);
	EXPECT_RC(zoo_get(zh, p, 0, buf, &len, &st), ZOK);

	other = open_session();
	CHECK(other != NULL, "second session did not connect");
	len = sizeof buf;
	if (zoo_get(other, p, 0, buf, &len, &st) != ZNOAUTH) {
		snprintf(why, sizeof why, "read without auth was not refused with ZNOAUTH");
		goto out;
	}
	if (add_auth(other, "cuser:wrong") != ZOK || zoo_get(other, p, 0, buf, &len, &st) != ZNOAUTH) {
		snprintf(why, sizeof why, "a wrong password gave access");
		goto out;
	}
	if (add_auth(other, "cuser:cpw") != ZOK) {
		snprintf(why, sizeof why, "add_auth on the second session failed");
		goto out;
	}
	len = sizeof buf;
	if (zoo_get(other, p, 0, buf, &len, &st) != ZOK || len != 1 || buf[0] != 's') {
		snprintf(why, sizeof why, "read with auth failed");
		goto out;
	}
	if (zoo_set(other, p, "t", 1, -1) != ZOK) {
		snprintf(why, sizeof why, "write with auth failed");
		goto out;
	}
	ok = 1;
out:
	zookeeper_close(other);
	return ok;
}

int case_close(zhandle_t *zh, const char *root)
{
	static const char *tag = "close";
	char p[512];
	struct Stat st;
	zhandle_t *eph = open_session();

	CHECK(eph != NULL, "second session did not connect");
	join(p, sizeof p, root, "eph");
	EXPECT_RC(zoo_create(eph, p, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, NULL, 0), ZOK);
	EXPECT_RC(zoo_wexists(zh, p, watcher, (void *)tag, &st), ZOK);
	EXPECT_RC(zookeeper_close(eph), ZOK);
	CHECK(wait_event(ZOO_DELETED_EVENT, p, tag, WAIT_MS), "the ephemeral of a closed session was not deleted");
	EXPECT_RC(zoo_exists(zh, p, 0, &st), ZNONODE);
	return 1;
}

/* Polls exists until path is gone, for the server's container/TTL sweep. */
