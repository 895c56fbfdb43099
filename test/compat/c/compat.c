/*
 * C client suite: the ZooKeeper C client (Debian libzookeeper-mt-dev,
 * synchronous API of zookeeper_mt) against the server at argv[1]. Every
 * case works under its own node below argv[2] and prints the suite
 * contract's PASS/FAIL line (see ../README.md). Each wait is bounded; the
 * suite's run.sh bounds the whole program.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The synchronous API of zookeeper.h needs THREADED (run.sh defines it). */
#include <zookeeper/zookeeper.h>

#define WAIT_MS 10000
#define SUITE "c"

static const char *hosts;
static const char *base;
static char why[1024]; /* the failure of the current case */

/* ---- events: every watcher call lands here ---- */

struct event {
	int type;
	int state;
	char path[512];
	const char *tag; /* the watcher context, to tell watches apart */
};

static pthread_mutex_t ev_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ev_cond = PTHREAD_COND_INITIALIZER;
static struct event events[256];
static int nevents;

static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	(void)zh;
	pthread_mutex_lock(&ev_mu);
	if (nevents < (int)(sizeof events / sizeof events[0])) {
		struct event *e = &events[nevents++];
		e->type = type;
		e->state = state;
		snprintf(e->path, sizeof e->path, "%s", path ? path : "");
		e->tag = ctx;
	}
	pthread_cond_broadcast(&ev_cond);
	pthread_mutex_unlock(&ev_mu);
}

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* wait_event waits for an event of type on path delivered to the watcher
 * tagged tag; it is removed from the list so it is matched once. */
static int wait_event(int type, const char *path, const char *tag, int ms)
{
	struct timespec until;
	int found = 0;

	deadline_in(&until, ms);
	pthread_mutex_lock(&ev_mu);
	for (;;) {
		for (int i = 0; i < nevents; i++) {
			struct event *e = &events[i];
			if (e->type == type && strcmp(e->path, path) == 0 && e->tag == tag) {
				memmove(e, e + 1, (size_t)(nevents - i - 1) * sizeof *e);
				nevents--;
				found = 1;
				break;
			}
		}
		if (found || pthread_cond_timedwait(&ev_cond, &ev_mu, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&ev_mu);
	return found;
}

static int count_events(const char *tag)
{
	int n = 0;
	pthread_mutex_lock(&ev_mu);
	for (int i = 0; i < nevents; i++)
		if (events[i].tag == tag)
			n++;
	pthread_mutex_unlock(&ev_mu);
	return n;
}

static const char *session_tag = "session";

/* ---- helpers ---- */

#define FAILF(...)                                              \
	do {                                                    \
		snprintf(why, sizeof why, __VA_ARGS__);         \
		return 0;                                       \
	} while (0)

#define EXPECT_RC(call, want)                                                    \
	do {                                                                     \
		int rc_ = (call);                                                \
		if (rc_ != (want))                                               \
			FAILF("%s: got %s (%d), want %s", #call, zerror(rc_), rc_, \
			      zerror(want));                                     \
	} while (0)

#define CHECK(cond, ...)                  \
	do {                              \
		if (!(cond))              \
			FAILF(__VA_ARGS__); \
	} while (0)

static zhandle_t *open_session(void)
{
	zhandle_t *zh = zookeeper_init(hosts, watcher, 10000, NULL, (void *)session_tag, 0);
	if (zh == NULL)
		return NULL;
	for (int i = 0; i < WAIT_MS / 10; i++) {
		if (zoo_state(zh) == ZOO_CONNECTED_STATE)
			return zh;
		usleep(10000);
	}
	zookeeper_close(zh);
	return NULL;
}

static char *join(char *buf, size_t len, const char *root, const char *name)
{
	snprintf(buf, len, "%s/%s", root, name);
	return buf;
}

/* ---- cases; each gets a handle and its own root ---- */

static int case_connect(zhandle_t *zh, const char *root)
{
	(void)root;
	const clientid_t *id = zoo_client_id(zh);
	CHECK(id != NULL && id->client_id != 0, "no session id after connecting");
	int timeout = zoo_recv_timeout(zh);
	CHECK(timeout >= 1000 && timeout <= 10000, "negotiated timeout %d ms, asked 10000", timeout);
	CHECK(zoo_state(zh) == ZOO_CONNECTED_STATE, "state %d", zoo_state(zh));
	return 1;
}

static int case_create(zhandle_t *zh, const char *root)
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

static int case_get(zhandle_t *zh, const char *root)
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

static int case_set(zhandle_t *zh, const char *root)
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

static int case_exists_watch(zhandle_t *zh, const char *root)
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

static int case_get_children(zhandle_t *zh, const char *root)
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

static int case_delete(zhandle_t *zh, const char *root)
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

static int case_multi(zhandle_t *zh, const char *root)
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

/* Completion of zoo_add_auth: the server's answer to the auth packet. */
static pthread_mutex_t auth_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t auth_cond = PTHREAD_COND_INITIALIZER;
static int auth_rc, auth_done;

static void auth_completion(int rc, const void *data)
{
	(void)data;
	pthread_mutex_lock(&auth_mu);
	auth_rc = rc;
	auth_done = 1;
	pthread_cond_broadcast(&auth_cond);
	pthread_mutex_unlock(&auth_mu);
}

static int add_auth(zhandle_t *zh, const char *cred)
{
	struct timespec until;
	int rc;

	pthread_mutex_lock(&auth_mu);
	auth_done = 0;
	pthread_mutex_unlock(&auth_mu);
	rc = zoo_add_auth(zh, "digest", cred, (int)strlen(cred), auth_completion, NULL);
	if (rc != ZOK)
		return rc;
	deadline_in(&until, WAIT_MS);
	pthread_mutex_lock(&auth_mu);
	while (!auth_done && pthread_cond_timedwait(&auth_cond, &auth_mu, &until) != ETIMEDOUT)
		;
	rc = auth_done ? auth_rc : ZOPERATIONTIMEOUT;
	pthread_mutex_unlock(&auth_mu);
	return rc;
}

static int case_acl_digest(zhandle_t *zh, const char *root)
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

static int case_close(zhandle_t *zh, const char *root)
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
static int wait_gone(zhandle_t *zh, const char *path, int ms)
{
	struct Stat st;
	for (int i = 0; i < ms / 50; i++) {
		if (zoo_exists(zh, path, 0, &st) == ZNONODE)
			return 1;
		usleep(50000);
	}
	return 0;
}

static int case_container_ttl(zhandle_t *zh, const char *root)
{
	char c[512], k[512], t[512], got[512];
	struct Stat st;

	join(c, sizeof c, root, "container");
	EXPECT_RC(zoo_create(zh, c, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_CONTAINER, NULL, 0), ZOK);
	EXPECT_RC(zoo_create(zh, join(k, sizeof k, c, "kid"), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
	/* Both servers show a container's ephemeralOwner as 0. */
	EXPECT_RC(zoo_exists(zh, c, 0, &st), ZOK);
	CHECK(st.ephemeralOwner == 0 && st.numChildren == 1, "container stat ephemeralOwner %llx numChildren %d",
	      (unsigned long long)st.ephemeralOwner, st.numChildren);
	EXPECT_RC(zoo_delete(zh, k, -1), ZOK);
	CHECK(wait_gone(zh, c, WAIT_MS), "the emptied container %s was not removed", c);

	join(t, sizeof t, root, "ttl");
	EXPECT_RC(zoo_create2_ttl(zh, t, "x", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_WITH_TTL, 300, got, sizeof got, &st),
		  ZOK);
	CHECK(strcmp(got, t) == 0 && st.dataLength == 1, "ttl create2 path %s", got);
	CHECK(wait_gone(zh, t, WAIT_MS), "the TTL node %s was not removed after its 300 ms", t);
	EXPECT_RC(zoo_create_ttl(zh, t, "x", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, 300, NULL, 0), ZBADARGUMENTS);
	EXPECT_RC(zoo_create_ttl(zh, t, "x", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_WITH_TTL, 0, NULL, 0), ZBADARGUMENTS);
	return 1;
}

static int case_config_reconfig(zhandle_t *zh, const char *root)
{
	char buf[1024];
	int len = sizeof buf;
	struct Stat st;

	(void)root;
	EXPECT_RC(zoo_getconfig(zh, 0, buf, &len, &st), ZOK);
	len = sizeof buf;
	EXPECT_RC(zoo_reconfig(zh, "server.2=127.0.0.1:2888:3888;2182", NULL, NULL, -1, buf, &len, &st),
		  ZRECONFIGDISABLED);
	return 1;
}

static int case_remove_watches(zhandle_t *zh, const char *root)
{
	static const char *tag = "remove";
	char p[512], k[512], buf[16];
	int len = sizeof buf;
	struct Stat st;
	struct String_vector kids;

	join(p, sizeof p, root, "r");
	EXPECT_RC(zoo_create(zh, p, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
	EXPECT_RC(zoo_wget(zh, p, watcher, (void *)tag, buf, &len, &st), ZOK);
	EXPECT_RC(zoo_wget_children(zh, p, watcher, (void *)tag, &kids), ZOK);
	deallocate_String_vector(&kids);
	EXPECT_RC(zoo_remove_watches(zh, p, ZWATCHTYPE_DATA, watcher, (void *)tag, 0), ZOK);
	EXPECT_RC(zoo_remove_watches(zh, p, ZWATCHTYPE_DATA, watcher, (void *)tag, 0), ZNOWATCHER);
	/* The child watch is still there. */
	EXPECT_RC(zoo_set(zh, p, "x", 1, -1), ZOK);
	EXPECT_RC(zoo_create(zh, join(k, sizeof k, p, "kid"), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
	CHECK(wait_event(ZOO_CHILD_EVENT, p, tag, WAIT_MS), "the child watch did not survive removing the data watch");
	CHECK(!wait_event(ZOO_CHANGED_EVENT, p, tag, 200), "the removed data watch fired");
	EXPECT_RC(zoo_wexists(zh, p, watcher, (void *)tag, &st), ZOK);
	EXPECT_RC(zoo_remove_all_watches(zh, p, ZWATCHTYPE_ANY, 0), ZOK);
	EXPECT_RC(zoo_remove_all_watches(zh, p, ZWATCHTYPE_ANY, 0), ZNOWATCHER);
	EXPECT_RC(zoo_remove_all_watches(zh, join(k, sizeof k, root, "nosuch"), ZWATCHTYPE_CHILD, 0), ZNOWATCHER);
	return 1;
}

/* Pipelined async requests complete in the order they were sent. */
static pthread_mutex_t order_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t order_cond = PTHREAD_COND_INITIALIZER;
static int order_seen[300], order_rc[300], order_n;

static void record(int rc, const void *data)
{
	pthread_mutex_lock(&order_mu);
	if (order_n < 300) {
		order_seen[order_n] = (int)(intptr_t)data;
		order_rc[order_n] = rc;
		order_n++;
	}
	pthread_cond_broadcast(&order_cond);
	pthread_mutex_unlock(&order_mu);
}

static void string_done(int rc, const char *value, const void *data)
{
	(void)value;
	record(rc, data);
}

static void stat_done(int rc, const struct Stat *stat, const void *data)
{
	(void)stat;
	record(rc, data);
}

static void data_done(int rc, const char *value, int len, const struct Stat *stat, const void *data)
{
	(void)value, (void)len, (void)stat;
	record(rc, data);
}

static int case_async_order(zhandle_t *zh, const char *root)
{
	char p[512];
	struct timespec until;
	int n = 0, want_rc[300];

	join(p, sizeof p, root, "o");
	order_n = 0;
	/* create, then rounds of set (versioned: only in-order application
	 * succeeds), get, sync; ending with a failing create. */
	want_rc[n] = ZOK;
	EXPECT_RC(zoo_acreate(zh, p, "0", 1, &ZOO_OPEN_ACL_UNSAFE, 0, string_done, (void *)(intptr_t)n), ZOK);
	n++;
	for (int v = 0; v < 90; v++) {
		want_rc[n] = ZOK;
		EXPECT_RC(zoo_aset(zh, p, "v", 1, v, stat_done, (void *)(intptr_t)n), ZOK);
		n++;
		want_rc[n] = ZOK;
		EXPECT_RC(zoo_aget(zh, p, 0, data_done, (void *)(intptr_t)n), ZOK);
		n++;
		want_rc[n] = ZOK;
		EXPECT_RC(zoo_async(zh, p, string_done, (void *)(intptr_t)n), ZOK);
		n++;
	}
	want_rc[n] = ZNODEEXISTS;
	EXPECT_RC(zoo_acreate(zh, p, "0", 1, &ZOO_OPEN_ACL_UNSAFE, 0, string_done, (void *)(intptr_t)n), ZOK);
	n++;

	deadline_in(&until, WAIT_MS);
	pthread_mutex_lock(&order_mu);
	while (order_n < n && pthread_cond_timedwait(&order_cond, &order_mu, &until) != ETIMEDOUT)
		;
	int got = order_n;
	pthread_mutex_unlock(&order_mu);
	CHECK(got == n, "%d of %d completions arrived", got, n);
	for (int i = 0; i < n; i++) {
		CHECK(order_seen[i] == i, "completion %d was request %d: replies out of order", i, order_seen[i]);
		CHECK(order_rc[i] == want_rc[i], "request %d: %s, want %s", i, zerror(order_rc[i]), zerror(want_rc[i]));
	}
	return 1;
}

static int case_set_acl(zhandle_t *zh, const char *root)
{
	char p[512];
	struct Stat st;
	struct ACL_vector acl;
	struct ACL read_only[] = {{ZOO_PERM_READ | ZOO_PERM_ADMIN, {"world", "anyone"}}};
	struct ACL_vector ro = {1, read_only};

	join(p, sizeof p, root, "acl");
	EXPECT_RC(zoo_create(zh, p, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
	EXPECT_RC(zoo_set_acl(zh, p, 3, &ro), ZBADVERSION);
	EXPECT_RC(zoo_set_acl(zh, p, 0, &ro), ZOK);
	EXPECT_RC(zoo_get_acl(zh, p, &acl, &st), ZOK);
	CHECK(acl.count == 1 && acl.data[0].perms == (ZOO_PERM_READ | ZOO_PERM_ADMIN) && st.aversion == 1,
	      "ACL after set: %d entries, aversion %d", acl.count, st.aversion);
	deallocate_ACL_vector(&acl);
	EXPECT_RC(zoo_set(zh, p, "x", 1, -1), ZNOAUTH);
	EXPECT_RC(zoo_set_acl(zh, p, -1, &ZOO_OPEN_ACL_UNSAFE), ZOK);
	EXPECT_RC(zoo_set(zh, p, "x", 1, -1), ZOK);
	struct ACL_vector empty = {0, NULL};
	EXPECT_RC(zoo_set_acl(zh, p, -1, &empty), ZINVALIDACL);
	return 1;
}

struct test {
	const char *name;
	int (*fn)(zhandle_t *, const char *);
};

static const struct test tests[] = {
	{"connect", case_connect},
	{"create", case_create},
	{"get", case_get},
	{"set", case_set},
	{"exists_watch", case_exists_watch},
	{"get_children", case_get_children},
	{"delete", case_delete},
	{"multi", case_multi},
	{"acl_digest", case_acl_digest},
	{"set_acl", case_set_acl},
	{"container_ttl", case_container_ttl},
	{"config_reconfig", case_config_reconfig},
	{"remove_watches", case_remove_watches},
	{"async_order", case_async_order},
	{"close", case_close},
};

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	char root[512];

	if (argc != 3) {
		fprintf(stderr, "usage: %s host:port /base\n", argv[0]);
		return 2;
	}
	hosts = argv[1];
	base = argv[2];
	zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
	zoo_set_log_stream(stderr);

	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
		zhandle_t *zh = open_session();
		int ok;

		why[0] = 0;
		if (zh == NULL) {
			printf("FAIL %s/%s: could not connect to %s within %d ms\n", SUITE, tests[i].name, hosts, WAIT_MS);
			failed++;
			continue;
		}
		snprintf(root, sizeof root, "%s-%s", base, tests[i].name);
		if (zoo_create(zh, root, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0) != ZOK) {
			snprintf(why, sizeof why, "creating the case root %s failed", root);
			ok = 0;
		} else {
			ok = tests[i].fn(zh, root);
		}
		if (ok) {
			printf("PASS %s/%s\n", SUITE, tests[i].name);
			passed++;
		} else {
			printf("FAIL %s/%s: %s\n", SUITE, tests[i].name, why);
			failed++;
		}
		fflush(stdout);
		zookeeper_close(zh);
	}
	printf("%s: %d passed, %d failed\n", SUITE, passed, failed);
	return failed ? 1 : 0;
}
