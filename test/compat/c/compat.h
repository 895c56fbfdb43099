/* Shared by the C client suite's files: the failure text of the current
 * case, the event log every watcher call lands in, and the assertion
 * macros. */
#ifndef COMPAT_H
#define COMPAT_H

#include <errno.h>
#include <pthread.h>
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

extern const char *hosts;
extern char why[1024]; /* the failure of the current case */
extern const char *session_tag;

void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx);
void deadline_in(struct timespec *ts, int ms);
int wait_event(int type, const char *path, const char *tag, int ms);
int count_events(const char *tag);
zhandle_t *open_session(void);
char *join(char *buf, size_t len, const char *root, const char *name);
int add_auth(zhandle_t *zh, const char *cred);

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


/* Cases: each gets a connected handle and a root node of its own, returns
 * 1 on success, or 0 with why set. */
int case_connect(zhandle_t *zh, const char *root);
int case_create(zhandle_t *zh, const char *root);
int case_get(zhandle_t *zh, const char *root);
int case_set(zhandle_t *zh, const char *root);
int case_exists_watch(zhandle_t *zh, const char *root);
int case_get_children(zhandle_t *zh, const char *root);
int case_delete(zhandle_t *zh, const char *root);
int case_multi(zhandle_t *zh, const char *root);
int case_acl_digest(zhandle_t *zh, const char *root);
int case_close(zhandle_t *zh, const char *root);
int case_set_acl(zhandle_t *zh, const char *root);
int case_container_ttl(zhandle_t *zh, const char *root);
int case_config_reconfig(zhandle_t *zh, const char *root);
int case_remove_watches(zhandle_t *zh, const char *root);
int case_async_order(zhandle_t *zh, const char *root);
int case_session_takeover(zhandle_t *zh, const char *root);

#endif
