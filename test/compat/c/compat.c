/*
 * C client suite: the ZooKeeper C client (Debian libzookeeper-mt-dev,
 * synchronous API of zookeeper_mt) against the server at argv[1]. Every
 * case works under its own node below argv[2] and prints the suite
 * contract's PASS/FAIL line (see ../README.md). Each wait is bounded; the
 * suite's run.sh bounds the whole program.
 */

#include "compat.h"

const char *hosts;
static const char *base;
char why[1024];
const char *session_tag = "session";

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

void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
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

void deadline_in(struct timespec *ts, int ms)
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
int wait_event(int type, const char *path, const char *tag, int ms)
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

int count_events(const char *tag)
{
	int n = 0;
	pthread_mutex_lock(&ev_mu);
	for (int i = 0; i < nevents; i++)
		if (events[i].tag == tag)
			n++;
	pthread_mutex_unlock(&ev_mu);
	return n;
}


zhandle_t *open_session(void)
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

char *join(char *buf, size_t len, const char *root, const char *name)
{
	snprintf(buf, len, "%s/%s", root, name);
	return buf;
}

/* add_auth sends an auth packet and waits for the server's answer. */
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

int add_auth(zhandle_t *zh, const char *cred)
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
	{"session_takeover", case_session_takeover},
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
