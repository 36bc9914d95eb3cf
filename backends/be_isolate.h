/*
 * be_isolate.h - run a driver query in a child process.
 *
 * GPU drivers are the least trustworthy code this process loads: a broken
 * ICD can crash inside vkCreateInstance or hang in clBuildProgram.  Every
 * enumeration, verification and benchmark therefore runs in a forked child
 * that writes its plain-data result into a pipe; the parent waits with a
 * deadline, so a crash or a hang costs one API's answer, not the process.
 */
#ifndef BE_ISOLATE_H
#define BE_ISOLATE_H

#include <stddef.h>

/*
 * The child calls fn(arg, out, size); fn fills out (at most size bytes) and
 * returns how many bytes are valid, or -1.  The parent gets those bytes in
 * out.  Returns the byte count, or -1 with why set ("killed by signal 11",
 * "timed out after 20000 ms", "exited with status 3", …).
 * timeout_ms <= 0 means no deadline.
 */
typedef long	(*be_isolated_fn)(void *arg, void *out, size_t size);

long	be_isolate(be_isolated_fn, void *arg, void *out, size_t size,
	    int timeout_ms, char *why, size_t whylen);

#endif /* BE_ISOLATE_H */
