/* The delivery command (C3). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "helper/rules/delivery.h"
#include "unilogin/error.h"

static void
child(const char *command, const char *kind, const char *address, int in)
{
	char *const argv[] = {(char *)command, (char *)kind, (char *)address, NULL};
	char *const envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", NULL};
	sigset_t none;
	int null = open("/dev/null", O_RDWR);

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || null < 0 || dup2(null, 1) < 0)
		_exit(126);
	/* stderr stays: the helper's log shows what the command says */
	closefrom(3);
	execve(command, argv, envp);
	_exit(127);
}

/* Waits for the child until the deadline, then kills it. */
static int
reap(pid_t pid, int64_t deadline, char *reason, size_t reasonlen)
{
	int status;

	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			snprintf(reason, reasonlen, "waitpid: %s", strerror(errno));
			return UL_EDELIVERY;
		}
		if (ul_monotonic_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(reason, reasonlen, "killed after %d s",
			    UL_DELIVERY_TIMEOUT_MS / 1000);
			return UL_EDELIVERY;
		}
		poll(NULL, 0, 20);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(reason, reasonlen, "cannot run the delivery command");
	else if (WIFEXITED(status))
		snprintf(reason, reasonlen, "exit status %d", WEXITSTATUS(status));
	else
		snprintf(reason, reasonlen, "killed by signal %d", WTERMSIG(status));
	return UL_EDELIVERY;
}

int
ul_deliver(const char *command, const char *kind, const char *address,
    const char *message, char *reason, size_t reasonlen)
{
	int64_t deadline = ul_monotonic_ms() + UL_DELIVERY_TIMEOUT_MS;
	size_t len = strlen(message), off = 0;
	int p[2];
	pid_t pid;

	reason[0] = '\0';
	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(reason, reasonlen, "pipe: %s", strerror(errno));
		return UL_EDELIVERY;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(reason, reasonlen, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return UL_EDELIVERY;
	}
	if (pid == 0)
		child(command, kind, address, p[0]);
	close(p[0]);
	/* The message is small, well under a pipe's buffer, so this never
	 * blocks; a command may ignore its stdin (EPIPE): its exit status
	 * decides. */
	while (off < len) {
		ssize_t n = write(p[1], message + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(p[1]);
	return reap(pid, deadline, reason, reasonlen);
}
