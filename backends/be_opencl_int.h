/*
 * be_opencl_int.h - be_opencl.c's parser of the version strings a driver
 * reports, exported only so its fuzz harness (tests/fuzz/fuzz_opencl.c)
 * and unit test reach the code the backend runs; not an API.
 */
#ifndef BE_OPENCL_INT_H
#define BE_OPENCL_INT_H

/*
 * s (NUL-terminated) is prefix, 1-3 digits, '.', 1-3 digits, then the end
 * or a blank: 0 with *maj and *min set, else -1 (*maj and *min are then
 * meaningless).
 */
int	be_cl_parse_version(const char *s, const char *prefix, unsigned *maj,
	    unsigned *min);

#endif /* BE_OPENCL_INT_H */
