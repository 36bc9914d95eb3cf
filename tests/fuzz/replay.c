/*
 * replay.c - runs a libFuzzer harness without libFuzzer.
 *
 * Normal builds link every fuzz_*.c with this driver and ctest replays the
 * harness's corpus directory (seeds plus any crash ever found), so the
 * harnesses are compiled and exercised by gcc builds and under ASan even
 * where clang's libFuzzer is not used.  Arguments are files or directories.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define REPLAY_MAX	(4u << 20)

static int
replay_file(const char *path)
{
	FILE	*f;
	uint8_t	*buf;
	size_t	 n;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	if ((buf = malloc(REPLAY_MAX)) == NULL) {
		(void)fclose(f);
		return -1;
	}
	n = fread(buf, 1, REPLAY_MAX, f);
	(void)fclose(f);
	/* Hand the harness an exact-size copy so ASan sees overreads. */
	{
		uint8_t *exact = malloc(n ? n : 1);

		if (exact == NULL) {
			free(buf);
			return -1;
		}
		memcpy(exact, buf, n);
		(void)LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	}
	free(buf);
	return 0;
}

static int
replay(const char *path, int *count)
{
	struct stat	 st;
	DIR		*d;
	struct dirent	*e;
	char		 sub[4096];
	int		 rc = 0;

	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	if ((d = opendir(path)) == NULL) {
		perror(path);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		(void)snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
		if (replay(sub, count) != 0)
			rc = -1;
	}
	(void)closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	int	i, count = 0, rc = 0;

	/* The empty input is always a case worth running. */
	(void)LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	for (i = 1; i < argc; i++)
		if (replay(argv[i], &count) != 0)
			rc = 1;
	(void)printf("replayed %d inputs\n", count);
	return rc;
}
