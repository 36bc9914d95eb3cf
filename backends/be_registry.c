/*
 * be_registry.c - registry cache encoding and the set-up fingerprint; see
 * be_registry.h for why the cache holds views and what invalidates it.
 *
 * The fingerprint is FNV-1a over a canonical text of the inputs: it detects
 * change, it does not authenticate anything, so a cryptographic hash would
 * buy nothing here (and backends/ stays free of a crypto dependency).
 */
#include "be_registry.h"
#include "be_json.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *
be_registry_encode(const char *fingerprint, const struct be_view *views,
    int n, size_t *lenp)
{
	json_t	*root = json_object(), *arr = json_array();
	char	*text = NULL;
	int	 i, ok = root != NULL && arr != NULL;

	for (i = 0; ok && i < n; i++) {
		json_t *v = be_json_view(&views[i]);

		ok = v != NULL && json_array_append_new(arr, v) == 0;
	}
	if (ok)
		ok = json_object_set_new(root, "version",
		    json_integer(BE_REGISTRY_VERSION)) == 0 &&
		    json_object_set_new(root, "fingerprint",
		    json_string(fingerprint)) == 0;
	if (ok) {
		ok = json_object_set_new(root, "views", arr) == 0;
		arr = NULL;
	}
	if (ok)
		text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(arr);
	json_decref(root);
	if (text != NULL && lenp != NULL)
		*lenp = strlen(text);
	return text;
}

int
be_registry_decode(const char *buf, size_t len, char *fingerprint,
    struct be_view *views, int max, char *err, size_t errlen)
{
	json_error_t	 jerr;
	json_t		*root, *arr, *j;
	size_t		 i;
	char		 why[200];

	if (len > BE_REGISTRY_MAX_BYTES) {
		(void)snprintf(err, errlen, "registry larger than %u bytes",
		    BE_REGISTRY_MAX_BYTES);
		return -1;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		(void)snprintf(err, errlen, "line %d: %s", jerr.line,
		    jerr.text);
		return -1;
	}
	j = json_object_get(root, "version");
	if (!json_is_integer(j) ||
	    json_integer_value(j) != BE_REGISTRY_VERSION) {
		(void)snprintf(err, errlen, "unsupported registry version");
		goto bad;
	}
	j = json_object_get(root, "fingerprint");
	if (!json_is_string(j) ||
	    json_string_length(j) != BE_FINGERPRINT_LEN - 1) {
		(void)snprintf(err, errlen, "bad fingerprint");
		goto bad;
	}
	be_strlcpy(fingerprint, json_string_value(j), BE_FINGERPRINT_LEN);
	arr = json_object_get(root, "views");
	if (!json_is_array(arr) || json_array_size(arr) > (size_t)max) {
		(void)snprintf(err, errlen, "views: expected at most %d", max);
		goto bad;
	}
	for (i = 0; i < json_array_size(arr); i++) {
		if (be_json_view_decode(json_array_get(arr, i), &views[i], why,
		    sizeof why) != 0) {
			(void)snprintf(err, errlen, "views[%zu].%s", i, why);
			goto bad;
		}
	}
	json_decref(root);
	return (int)i;
bad:
	json_decref(root);
	return -1;
}

int
be_view_same_identity(const struct be_view *a, const struct be_view *b)
{
	if (a->api != b->api || strcmp(a->name, b->name) != 0 ||
	    strcmp(a->driver_version, b->driver_version) != 0 ||
	    a->type != b->type)
		return 0;
	if (a->pci.valid || b->pci.valid)
		return be_pci_equal(&a->pci, &b->pci);
	if (a->has_uuid || b->has_uuid)
		return a->has_uuid && b->has_uuid &&
		    memcmp(a->uuid, b->uuid, 16) == 0;
	return a->platform_index == b->platform_index &&
	    a->device_index == b->device_index;
}

void
be_registry_carry_bench(struct be_view *nv, int n, const struct be_view *ov,
    int on)
{
	int	i, j;

	for (i = 0; i < n; i++) {
		if (nv[i].has_bench)
			continue;
		for (j = 0; j < on; j++) {
			if (ov[j].has_bench &&
			    be_view_same_identity(&nv[i], &ov[j])) {
				nv[i].has_bench = true;
				nv[i].bench = ov[j].bench;
				break;
			}
		}
	}
}

/* --- fingerprint ----------------------------------------------------- */

struct fp {
	uint64_t	h;
	const char	*root;
};

static void
fp_bytes(struct fp *f, const void *p, size_t n)
{
	const unsigned char	*b = p;

	while (n-- > 0) {
		f->h ^= *b++;
		f->h *= UINT64_C(0x100000001b3);
	}
}

static void
fp_str(struct fp *f, const char *s)
{
	fp_bytes(f, s, strlen(s) + 1);
}

static void
fp_path(char *buf, size_t size, const char *root, const char *rel)
{
	(void)snprintf(buf, size, "%s%s", strcmp(root, "/") == 0 ? "" : root,
	    rel);
}

/* Hashes up to 4 KiB of a file's content (small sysfs/proc files). */
static void
fp_file(struct fp *f, const char *rel)
{
	char	 path[1024], buf[4096];
	FILE	*fp;
	size_t	 n;

	fp_path(path, sizeof path, f->root, rel);
	fp_str(f, rel);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	n = fread(buf, 1, sizeof buf, fp);
	(void)fclose(fp);
	fp_bytes(f, buf, n);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Calls fn for each entry of a directory in sorted order (at most 256).
 * Sorting makes the fingerprint independent of readdir order.
 */
static void
fp_dir(struct fp *f, const char *rel, void (*fn)(struct fp *, const char *,
    const char *))
{
	char		 path[1024];
	char		*names[256];
	DIR		*d;
	struct dirent	*e;
	int		 n = 0, i;

	fp_path(path, sizeof path, f->root, rel);
	if ((d = opendir(path)) == NULL)
		return;
	while ((e = readdir(d)) != NULL && n < 256) {
		if (e->d_name[0] == '.')
			continue;
		if ((names[n] = strdup(e->d_name)) != NULL)
			n++;
	}
	(void)closedir(d);
	qsort(names, (size_t)n, sizeof names[0], name_cmp);
	for (i = 0; i < n; i++) {
		fn(f, rel, names[i]);
		free(names[i]);
	}
}

/* An ICD manifest: name, size and mtime (a package upgrade rewrites it). */
static void
fp_stat_entry(struct fp *f, const char *dir, const char *name)
{
	char		rel[1024], path[1200];
	struct stat	st;

	(void)snprintf(rel, sizeof rel, "%s/%s", dir, name);
	fp_path(path, sizeof path, f->root, rel);
	fp_str(f, rel);
	if (stat(path, &st) == 0) {
		int64_t v[2] = { (int64_t)st.st_size, (int64_t)st.st_mtime };

		fp_bytes(f, v, sizeof v);
	}
}

/* A PCI function: only display (0x03) and accelerator (0x12) classes. */
static void
fp_pci_entry(struct fp *f, const char *dir, const char *name)
{
	char	rel[1024], path[1200], cls[32] = "";
	FILE	*fp;

	(void)snprintf(rel, sizeof rel, "%s/%s/class", dir, name);
	fp_path(path, sizeof path, f->root, rel);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	if (fgets(cls, sizeof cls, fp) == NULL)
		cls[0] = '\0';
	(void)fclose(fp);
	if (strncmp(cls, "0x03", 4) != 0 && strncmp(cls, "0x12", 4) != 0)
		return;
	fp_str(f, name);
	fp_str(f, cls);
	(void)snprintf(rel, sizeof rel, "%s/%s/vendor", dir, name);
	fp_file(f, rel);
	(void)snprintf(rel, sizeof rel, "%s/%s/device", dir, name);
	fp_file(f, rel);
}

/* /proc/cpuinfo's first "model name" and the processor count. */
static void
fp_cpu(struct fp *f)
{
	char	 path[1024], line[512];
	FILE	*fp;
	int	 nproc = 0, lines = 0, model = 0;

	fp_path(path, sizeof path, f->root, "/proc/cpuinfo");
	if ((fp = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof line, fp) != NULL && lines++ < 100000) {
		if (strncmp(line, "processor", 9) == 0)
			nproc++;
		else if (!model && strncmp(line, "model name", 10) == 0) {
			fp_str(f, line);
			model = 1;
		}
	}
	(void)fclose(fp);
	fp_bytes(f, &nproc, sizeof nproc);
}

void
be_registry_fingerprint(const char *root, char *out)
{
	static const char *const icd_dirs[] = {
		"/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d",
		"/usr/local/share/vulkan/icd.d", "/etc/OpenCL/vendors",
	};
	static const char *const env[] = {
		"VK_DRIVER_FILES", "VK_ICD_FILENAMES", "VK_ADD_DRIVER_FILES",
		"OCL_ICD_VENDORS", "OPENCL_VENDOR_PATH", "OCL_ICD_FILENAMES",
	};
	static const char *const modules[] = {
		"/sys/module/nvidia/version", "/sys/module/amdgpu/version",
		"/proc/driver/nvidia/version", "/sys/module/i915/version",
	};
	struct fp	f = { UINT64_C(0xcbf29ce484222325), root };
	size_t		i;

	fp_str(&f, "exogpu-registry-1");
	fp_dir(&f, "/sys/bus/pci/devices", fp_pci_entry);
	fp_cpu(&f);
	for (i = 0; i < sizeof icd_dirs / sizeof icd_dirs[0]; i++)
		fp_dir(&f, icd_dirs[i], fp_stat_entry);
	for (i = 0; i < sizeof modules / sizeof modules[0]; i++)
		fp_file(&f, modules[i]);
	for (i = 0; i < sizeof env / sizeof env[0]; i++) {
		const char *v = getenv(env[i]);

		fp_str(&f, env[i]);
		fp_str(&f, v != NULL ? v : "(unset)");
	}
	(void)snprintf(out, BE_FINGERPRINT_LEN, "%016" PRIx64, f.h);
}
