/*
 * be_isolate.c - fork, run, read the result through a pipe with a deadline;
 * see be_isolate.h for why.
 *
 * The child writes a length header then the bytes, and leaves with _exit so
 * no atexit handler or stdio buffer of the parent runs twice.  The parent
 * polls the pipe against a monotonic deadline, kills the child on timeout,
 * and always reaps it.
 */
#include "be_isolate.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long
now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
write_full(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The child must die of a driver fault, not run a handler it inherited
 * (a test framework's, or the agent's), and must not be deaf to SIGTERM.
 */
static void
default_signals(void)
{
	static const int	sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE,
				    SIGABRT, SIGTERM, SIGINT, SIGPIPE };
	sigset_t		all;
	size_t			i;

	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		(void)signal(sigs[i], SIG_DFL);
	(void)sigemptyset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
}

static void
run_child(int fd, be_isolated_fn fn, void *arg, void *out, size_t size)
{
	int64_t	n;

	default_signals();
	n = fn(arg, out, size);
	if (n < 0 || (size_t)n > size)
		n = -1;
	if (write_full(fd, &n, sizeof n) != 0 ||
	    (n > 0 && write_full(fd, out, (size_t)n) != 0))
		_exit(3);
	_exit(0);
}

/* Reads exactly len bytes before the deadline; 0 ok, -1 eof/error, -2 timeout. */
static int
read_deadline(int fd, void *buf, size_t len, long deadline)
{
	char		*p = buf;
	struct pollfd	 pfd;
	ssize_t		 n;
	long		 left;

	while (len > 0) {
		left = deadline < 0 ? -1 : deadline - now_ms();
		if (deadline >= 0 && left <= 0)
			return -2;
		pfd.fd = fd;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, (int)(left > 1000000 ? 1000000 : left));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			continue;
		if ((n = read(fd, p, len)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
describe_status(int status, char *why, size_t whylen)
{
	if (WIFSIGNALED(status))
		(void)snprintf(why, whylen, "killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		(void)snprintf(why, whylen, "exited with status %d",
		    WEXITSTATUS(status));
	else
		(void)snprintf(why, whylen, "returned no result");
}

static int
reap(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

long
be_isolate(be_isolated_fn fn, void *arg, void *out, size_t size,
    int timeout_ms, char *why, size_t whylen)
{
	int	fds[2], status = 0, rc;
	int64_t	n = -1;
	long	deadline;
	pid_t	pid;

	if (whylen > 0)
		why[0] = '\0';
	if (pipe(fds) != 0) {
		(void)snprintf(why, whylen, "pipe: %s", strerror(errno));
		return -1;
	}
	(void)fflush(NULL);
	if ((pid = fork()) < 0) {
		(void)snprintf(why, whylen, "fork: %s", strerror(errno));
		(void)close(fds[0]);
		(void)close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		(void)close(fds[0]);
		run_child(fds[1], fn, arg, out, size);
	}
	(void)close(fds[1]);
	deadline = timeout_ms > 0 ? now_ms() + timeout_ms : -1;
	rc = read_deadline(fds[0], &n, sizeof n, deadline);
	if (rc == 0 && n > 0 && (size_t)n <= size)
		rc = read_deadline(fds[0], out, (size_t)n, deadline);
	else if (rc == 0 && n > 0)
		rc = -1;
	(void)close(fds[0]);
	if (rc == -2)
		(void)kill(pid, SIGKILL);
	if (reap(pid, &status) != 0 && rc == 0) {
		(void)snprintf(why, whylen, "waitpid: %s", strerror(errno));
		return -1;
	}
	if (rc == -2) {
		(void)snprintf(why, whylen, "timed out after %d ms", timeout_ms);
		return -1;
	}
	if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		describe_status(status, why, whylen);
		return -1;
	}
	if (n < 0) {
		(void)snprintf(why, whylen, "query failed");
		return -1;
	}
	return (long)n;
}
