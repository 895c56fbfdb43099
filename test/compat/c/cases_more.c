/* C client suite: setAcl, containers and TTL nodes, getconfig/reconfig,
 * removeWatches, the order of pipelined async requests, session takeover. */

#include "compat.h"

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

int case_container_ttl(zhandle_t *zh, const char *root)
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

int case_config_reconfig(zhandle_t *zh, const char *root)
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

int case_remove_watches(zhandle_t *zh, const char *root)
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

int case_async_order(zhandle_t *zh, const char *root)
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

int case_set_acl(zhandle_t *zh, const char *root)
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


/* Another handle resuming this session (id and password) and closing it
 * ends the session: the first handle is told its session expired, and its
 * ephemeral is gone. */
int case_session_takeover(zhandle_t *zh, const char *root)
{
	static const char *tag = "takeover";
	char p[512];
	struct Stat st;
	zhandle_t *a, *b;
	clientid_t id;
	int ok = 0;

	join(p, sizeof p, root, "eph");
	a = zookeeper_init(hosts, watcher, 10000, NULL, (void *)tag, 0);
	CHECK(a != NULL, "zookeeper_init failed");
	for (int i = 0; i < WAIT_MS / 10 && zoo_state(a) != ZOO_CONNECTED_STATE; i++)
		usleep(10000);
	if (zoo_state(a) != ZOO_CONNECTED_STATE ||
	    zoo_create(a, p, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, NULL, 0) != ZOK) {
		snprintf(why, sizeof why, "first handle did not connect and create its ephemeral");
		goto out;
	}
	id = *zoo_client_id(a);
	/* The server drops a's connection when b resumes the session, and a
	 * reconnects at once: if a gets there before b's close, a holds the
	 * session again and b's close fails (a race in ZooKeeper too). Then
	 * the takeover is tried again; each try is likely to win it. */
	for (int try = 0; try < 5 && zoo_state(a) != ZOO_EXPIRED_SESSION_STATE; try++) {
		b = zookeeper_init(hosts, NULL, 10000, &id, NULL, 0);
		for (int i = 0; b != NULL && i < WAIT_MS && zoo_state(b) != ZOO_CONNECTED_STATE; i++)
			usleep(1000);
		if (b == NULL || zoo_state(b) != ZOO_CONNECTED_STATE || zoo_client_id(b)->client_id != id.client_id) {
			snprintf(why, sizeof why, "second handle did not resume the session");
			if (b != NULL)
				zookeeper_close(b);
			goto out;
		}
		zookeeper_close(b);
		/* a either sees its session expired or has taken it back. */
		for (int i = 0; i < 300 && zoo_state(a) != ZOO_EXPIRED_SESSION_STATE; i++)
			usleep(10000);
	}
	if (zoo_state(a) != ZOO_EXPIRED_SESSION_STATE) {
		snprintf(why, sizeof why, "first handle in state %d after 5 takeovers, want expired (%d)", zoo_state(a),
			 ZOO_EXPIRED_SESSION_STATE);
		goto out;
	}
	if (zoo_exists(zh, p, 0, &st) != ZNONODE) {
		snprintf(why, sizeof why, "the ephemeral outlived its session");
		goto out;
	}
	ok = 1;
out:
	zookeeper_close(a);
	return ok;
}
