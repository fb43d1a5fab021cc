/* The client side of the protocol: connect within a deadline, trust checks
 * both ways (S5), one request and one reply per call. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/client.h"
#include "common/util.h"
#include "unilogin/error.h"

int
ul_client_new_ex(struct ul_client **out, const char *socket_path, int timeout_ms,
    uid_t helper_uid, bool secrets)
{
	struct ul_client *c;

	*out = NULL;
	if (socket_path == NULL || socket_path[0] != '/' || timeout_ms <= 0)
		return UL_EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return UL_ENOMEM;
	c->fd = -1;
	c->timeout_ms = timeout_ms;
	c->helper_uid = helper_uid;
	if (ul_strlcpy(c->path, socket_path, sizeof(c->path)) != 0) {
		free(c);
		return UL_EINVAL;
	}
	c->req = secrets ? ul_msg_new() : ul_msg_new_plain();
	c->rep = secrets ? ul_msg_new() : ul_msg_new_plain();
	if (c->req == NULL || c->rep == NULL) {
		ul_client_free(c);
		return UL_ENOMEM;
	}
	*out = c;
	return 0;
}

int
ul_client_new(struct ul_client **out, const char *socket_path, int timeout_ms,
    const char *helper_user)
{
	uid_t uid = 0;

	if (helper_user != NULL)
		(void)ul_files_uid(helper_user, &uid, NULL);
	return ul_client_new_ex(out, socket_path, timeout_ms, uid, true);
}

static void
disconnect(struct ul_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void
ul_client_free(struct ul_client *c)
{
	if (c == NULL)
		return;
	disconnect(c);
	ul_msg_free(c->req);
	ul_msg_free(c->rep);
	free(c);
}

void
ul_client_begin(struct ul_client *c, uint16_t type)
{
	ul_msg_start(c->req, type);
}

static bool
trusted_owner(const struct ul_client *c, uid_t uid)
{
	return uid == 0 || uid == c->helper_uid;
}

/* The socket and its directory must belong to root or the helper and the
 * directory must be writable by no one else, so nobody can plant a socket
 * of their own there (S5). */
static int
check_path(const struct ul_client *c)
{
	char dir[sizeof(c->path)];
	struct stat st;

	if (lstat(c->path, &st) != 0)
		return UL_EUNAVAIL;
	if (!S_ISSOCK(st.st_mode) || !trusted_owner(c, st.st_uid))
		return UL_ETRUST;
	memcpy(dir, c->path, sizeof(dir));
	if (stat(dirname(dir), &st) != 0)
		return UL_EUNAVAIL;
	if (!trusted_owner(c, st.st_uid) || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return UL_ETRUST;
	return 0;
}

static int
check_peer(const struct ul_client *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return UL_EUNAVAIL;
	return trusted_owner(c, cred.uid) ? 0 : UL_ETRUST;
}

static int
connect_before(struct ul_client *c, int64_t deadline)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct pollfd p;
	int r, err = 0;
	socklen_t len = sizeof(err);

	r = check_path(c);
	if (r != 0)
		return r;
	memcpy(sa.sun_path, c->path, sizeof(c->path));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return UL_EUNAVAIL;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (errno != EINPROGRESS && errno != EAGAIN)
			return UL_EUNAVAIL;
		/* A full backlog: wait for the helper, but only until the deadline. */
		p = (struct pollfd){.fd = c->fd, .events = POLLOUT};
		do {
			int64_t left = deadline - ul_monotonic_ms();

			if (left <= 0)
				return UL_ETIMEDOUT;
			r = poll(&p, 1, (int)left);
		} while (r < 0 && errno == EINTR);
		if (r == 0)
			return UL_ETIMEDOUT;
		if (r < 0 || getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
		    err != 0)
			return UL_EUNAVAIL;
	}
	return check_peer(c);
}

static int
exchange(struct ul_client *c, int64_t deadline)
{
	int r, size;

	r = ul_msg_finish(c->req);
	if (r != 0)
		return r;
	if (c->fd < 0) {
		r = connect_before(c, deadline);
		if (r != 0)
			return r;
	}
	r = ul_write_all(c->fd, c->req->buf, c->req->len, deadline);
	if (r != 0)
		return r == UL_ETIMEDOUT ? r : UL_EUNAVAIL;
	ul_msg_start(c->rep, UL_MSG_REPLY);
	r = ul_read_full(c->fd, c->rep->buf, 4, deadline);
	if (r != 0)
		return r == UL_ETIMEDOUT ? r : UL_EUNAVAIL;
	size = ul_frame_size(c->rep->buf);
	if (size < 0)
		return UL_EPROTO;
	r = ul_read_full(c->fd, c->rep->buf + 4, (size_t)size - 4, deadline);
	if (r != 0)
		return r == UL_ETIMEDOUT ? r : UL_EUNAVAIL;
	c->rep->len = (size_t)size;
	return ul_msg_decode(c->rep);
}

int
ul_client_call(struct ul_client *c)
{
	int64_t deadline = ul_monotonic_ms() + c->timeout_ms;
	int r = exchange(c, deadline);

	if (r != 0) {
		disconnect(c);
		return r;
	}
	r = ul_reply_result(c->rep);
	if (r == UL_EVERSION || r == UL_EPROTO)
		disconnect(c);  /* the helper closes these connections */
	return r;
}

const char *
ul_client_message(const struct ul_client *c)
{
	return ul_msg_str(c->rep, UL_F_MESSAGE);
}
