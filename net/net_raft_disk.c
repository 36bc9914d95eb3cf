/*
 * net_raft_disk.c - raft's files under DIR/raft: "metadata" (term, vote,
 * cluster id), "log" (an append-only file of checksummed records) and
 * "snapshot" (the last snapshot with its configuration).  The formats are
 * in docs/cluster.md ("Raft on disk").
 *
 * Shape.  Small files that must never be half-written (metadata, the
 * snapshot, a compacted log) are written whole to a temporary file,
 * fsync'd, renamed over the old one and the directory fsync'd, so a crash
 * leaves either the old or the new file.  The log is only appended to
 * (and cut back by truncate): each record carries its length, index, term
 * and a CRC-32, so after kill -9 or a power cut the scan at open finds
 * where the last whole record ends.  A bad record at the end is a torn
 * tail - the normal result of a crash during an append that was never
 * acknowledged - and is cut; a bad record followed by a good one is
 * damage, and the node refuses to start instead of guessing at a log it
 * may have promised to others.  The scan keeps every record's offset, so
 * truncate and compaction are a lookup, not a search.
 */
#include "net_raft_disk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sec_err.h"

#define RD_META		"metadata"
#define RD_LOG		"log"
#define RD_SNAP		"snapshot"
#define RD_TMP_SUFFIX	".tmp"

#define RD_META_MAGIC	"EXRAFTM1"
#define RD_LOG_MAGIC	"EXRAFTL1"
#define RD_SNAP_MAGIC	"EXRAFTS1"
#define RD_MAGIC_LEN	8

#define RD_META_LEN	60	/* magic, term, vote, cluster[32], crc */
#define RD_REC_HEAD	32	/* len, crc, term, index, type, 0 */
#define RD_SNAP_HEAD	56
#define RD_MAX_RECORD	(64u * 1024 * 1024)
#define RD_MAX_CONF	(1024 * 1024)

static const uint32_t rd_crc_table[256] = {
	0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau,
	0x076dc419u, 0x706af48fu, 0xe963a535u, 0x9e6495a3u,
	0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u,
	0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u,
	0x1db71064u, 0x6ab020f2u, 0xf3b97148u, 0x84be41deu,
	0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
	0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu,
	0x14015c4fu, 0x63066cd9u, 0xfa0f3d63u, 0x8d080df5u,
	0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
	0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu,
	0x35b5a8fau, 0x42b2986cu, 0xdbbbc9d6u, 0xacbcf940u,
	0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
	0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u,
	0x21b4f4b5u, 0x56b3c423u, 0xcfba9599u, 0xb8bda50fu,
	0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
	0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du,
	0x76dc4190u, 0x01db7106u, 0x98d220bcu, 0xefd5102au,
	0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
	0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u,
	0x7f6a0dbbu, 0x086d3d2du, 0x91646c97u, 0xe6635c01u,
	0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
	0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u,
	0x65b0d9c6u, 0x12b7e950u, 0x8bbeb8eau, 0xfcb9887cu,
	0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
	0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u,
	0x4adfa541u, 0x3dd895d7u, 0xa4d1c46du, 0xd3d6f4fbu,
	0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
	0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u,
	0x5005713cu, 0x270241aau, 0xbe0b1010u, 0xc90c2086u,
	0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
	0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u,
	0x59b33d17u, 0x2eb40d81u, 0xb7bd5c3bu, 0xc0ba6cadu,
	0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au,
	0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u,
	0xe3630b12u, 0x94643b84u, 0x0d6d6a3eu, 0x7a6a5aa8u,
	0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
	0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu,
	0xf762575du, 0x806567cbu, 0x196c3671u, 0x6e6b06e7u,
	0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu,
	0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u,
	0xd6d6a3e8u, 0xa1d1937eu, 0x38d8c2c4u, 0x4fdff252u,
	0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
	0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u,
	0xdf60efc3u, 0xa867df55u, 0x316e8eefu, 0x4669be79u,
	0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
	0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu,
	0xc5ba3bbeu, 0xb2bd0b28u, 0x2bb45a92u, 0x5cb36a04u,
	0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
	0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au,
	0x9c0906a9u, 0xeb0e363fu, 0x72076785u, 0x05005713u,
	0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u,
	0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u,
	0x86d3d2d4u, 0xf1d4e242u, 0x68ddb3f8u, 0x1fda836eu,
	0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
	0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu,
	0x8f659effu, 0xf862ae69u, 0x616bffd3u, 0x166ccf45u,
	0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u,
	0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu,
	0xaed16a4au, 0xd9d65adcu, 0x40df0b66u, 0x37d83bf0u,
	0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
	0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u,
	0xbad03605u, 0xcdd70693u, 0x54de5729u, 0x23d967bfu,
	0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
	0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

static uint32_t
rd_crc(uint32_t crc, const void *p, size_t n)
{
	const uint8_t	*b = p;

	crc = ~crc;
	while (n-- > 0)
		crc = rd_crc_table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void
rd_put32(uint8_t *p, uint32_t v)
{
	int	i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
rd_put64(uint8_t *p, uint64_t v)
{
	int	i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
rd_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
rd_get64(const uint8_t *p)
{
	return (uint64_t)rd_get32(p) | (uint64_t)rd_get32(p + 4) << 32;
}

/* ---- plain file helpers ---- */

static int
rd_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t	*p = buf;
	ssize_t		 w;

	while (len > 0) {
		w = pwrite(fd, p, len, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* 0, or -1 (errno; EIO with errno 0 meaning a short file). */
static int
rd_pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t	*p = buf;
	ssize_t	 r;

	while (len > 0) {
		r = pread(fd, p, len, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static int
rd_fsync(struct net_raft_disk *d, int fd, bool data_only)
{
	int	rc;

	atomic_fetch_add_explicit(&d->fsyncs, 1, memory_order_relaxed);
	do
		rc = data_only ? fdatasync(fd) : fsync(fd);
	while (rc != 0 && errno == EINTR);
	return rc;
}

/*
 * Writes iov[0..n) to DIR/name atomically: name.tmp, fsync, rename,
 * fsync of the directory.
 */
static int
rd_write_atomic(struct net_raft_disk *d, const char *name,
    const struct iovec *iov, int n, char *err, size_t errlen)
{
	char	tmp[64];
	int	fd, i, saved;

	(void)snprintf(tmp, sizeof tmp, "%s%s", name, RD_TMP_SUFFIX);
	fd = openat(d->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return sec_err(err, errlen, "%s/%s: %s", d->dir, tmp,
		    strerror(errno));
	for (i = 0; i < n; i++) {
		if (rd_pwrite_all(fd, iov[i].iov_base, iov[i].iov_len,
		    (uint64_t)lseek(fd, 0, SEEK_END)) != 0)
			goto fail;
		atomic_fetch_add_explicit(&d->bytes, iov[i].iov_len,
		    memory_order_relaxed);
	}
	if (rd_fsync(d, fd, false) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(d->dirfd, tmp, d->dirfd, name) != 0 ||
	    rd_fsync(d, d->dirfd, false) != 0)
		goto fail;
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		(void)close(fd);
	(void)unlinkat(d->dirfd, tmp, 0);
	return sec_err(err, errlen, "%s/%s: %s", d->dir, name,
	    strerror(saved));
}

/* Reads DIR/name whole if it is at most max bytes; 1 if absent. */
static int
rd_read_small(struct net_raft_disk *d, const char *name, uint8_t *buf,
    size_t max, size_t *len, char *err, size_t errlen)
{
	ssize_t	r;
	int	fd;

	fd = openat(d->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0)
		return sec_err(err, errlen, "%s/%s: %s", d->dir, name,
		    strerror(errno));
	do
		r = read(fd, buf, max);
	while (r < 0 && errno == EINTR);
	(void)close(fd);
	if (r < 0)
		return sec_err(err, errlen, "%s/%s: %s", d->dir, name,
		    strerror(errno));
	*len = (size_t)r;
	return 0;
}

/* ---- metadata ---- */

static int
rd_meta_read(struct net_raft_disk *d, char *err, size_t errlen)
{
	uint8_t	buf[RD_META_LEN + 1];
	size_t	len = 0;
	int	rc;

	memset(&d->meta, 0, sizeof d->meta);
	rc = rd_read_small(d, RD_META, buf, sizeof buf, &len, err, errlen);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (len != RD_META_LEN || memcmp(buf, RD_META_MAGIC,
	    RD_MAGIC_LEN) != 0 || rd_crc(0, buf, RD_META_LEN - 4) !=
	    rd_get32(buf + RD_META_LEN - 4))
		return sec_err(err, errlen, "%s/%s: damaged (size, magic or "
		    "checksum): refusing to start rather than forget a term "
		    "or vote", d->dir, RD_META);
	d->meta.term = rd_get64(buf + 8);
	d->meta.vote = rd_get64(buf + 16);
	memcpy(d->meta.cluster, buf + 24, 32);
	d->meta.cluster[32] = '\0';
	return 0;
}

int
net_raft_disk_set_meta(struct net_raft_disk *d, const struct net_raft_meta *m,
    char *err, size_t errlen)
{
	uint8_t		buf[RD_META_LEN];
	struct iovec	iov;
	size_t		n = strnlen(m->cluster, sizeof m->cluster);

	if (n > 32)
		return sec_err(err, errlen, "cluster id too long");
	memset(buf, 0, sizeof buf);
	memcpy(buf, RD_META_MAGIC, RD_MAGIC_LEN);
	rd_put64(buf + 8, m->term);
	rd_put64(buf + 16, m->vote);
	memcpy(buf + 24, m->cluster, n);
	rd_put32(buf + RD_META_LEN - 4, rd_crc(0, buf, RD_META_LEN - 4));
	iov.iov_base = buf;
	iov.iov_len = sizeof buf;
	if (rd_write_atomic(d, RD_META, &iov, 1, err, errlen) != 0)
		return -1;
	d->meta = *m;
	d->meta.cluster[n] = '\0';
	return 0;
}

/* ---- the log ---- */

static int
rd_push_off(struct net_raft_disk *d, uint64_t off)
{
	uint64_t	*o, cap;

	if (d->n == d->cap) {
		cap = d->cap == 0 ? 256 : d->cap * 2;
		o = realloc(d->off, (size_t)cap * sizeof *o);
		if (o == NULL)
			return -1;
		d->off = o;
		d->cap = cap;
	}
	d->off[d->n++] = off;
	return 0;
}

/* A record's head, decoded. */
struct rd_rec {
	uint32_t	len, crc, type;
	uint64_t	term, index;
};

static void
rd_rec_head(uint8_t *h, uint32_t len, uint64_t term, uint64_t index,
    uint32_t type, const void *data)
{
	memset(h, 0, RD_REC_HEAD);
	rd_put32(h, len);
	rd_put64(h + 8, term);
	rd_put64(h + 16, index);
	rd_put32(h + 24, type);
	rd_put32(h + 4, rd_crc(rd_crc(rd_crc(0, h, 4), h + 8,
	    RD_REC_HEAD - 8), data, len));
}

/*
 * Checks the record at off: 0 good (with *r), 1 torn or bad (cannot be
 * read whole, or its checksum fails), -1 a read error.  scratch is grown
 * to hold the data.
 */
static int
rd_rec_check(struct net_raft_disk *d, uint64_t off, struct rd_rec *r,
    uint8_t **scratch, size_t *scap)
{
	uint8_t	 h[RD_REC_HEAD], *nb;
	uint32_t crc;

	memset(r, 0, sizeof *r);
	if (d->end - off < RD_REC_HEAD)
		return 1;
	if (rd_pread_all(d->logfd, h, sizeof h, off) != 0)
		return -1;
	r->len = rd_get32(h);
	r->crc = rd_get32(h + 4);
	r->term = rd_get64(h + 8);
	r->index = rd_get64(h + 16);
	r->type = rd_get32(h + 24);
	if (r->len > RD_MAX_RECORD || d->end - off - RD_REC_HEAD < r->len)
		return 1;
	if (*scap < r->len) {
		nb = realloc(*scratch, r->len);
		if (nb == NULL)
			return -1;
		*scratch = nb;
		*scap = r->len;
	}
	if (r->len > 0 && rd_pread_all(d->logfd, *scratch, r->len,
	    off + RD_REC_HEAD) != 0)
		return -1;
	crc = rd_crc(rd_crc(rd_crc(0, h, 4), h + 8, RD_REC_HEAD - 8),
	    *scratch, r->len);
	if (crc != r->crc || r->type < RAFT_COMMAND || r->type > RAFT_CHANGE ||
	    r->index == 0)
		return 1;
	return 0;
}

static int
rd_log_create(struct net_raft_disk *d, char *err, size_t errlen)
{
	struct iovec	iov;

	iov.iov_base = (void *)RD_LOG_MAGIC;
	iov.iov_len = RD_MAGIC_LEN;
	if (d->logfd >= 0)
		(void)close(d->logfd);
	d->logfd = -1;
	if (rd_write_atomic(d, RD_LOG, &iov, 1, err, errlen) != 0)
		return -1;
	d->logfd = openat(d->dirfd, RD_LOG, O_RDWR | O_CLOEXEC);
	if (d->logfd < 0)
		return sec_err(err, errlen, "%s/%s: %s", d->dir, RD_LOG,
		    strerror(errno));
	d->end = RD_MAGIC_LEN;
	d->n = 0;
	d->first = 0;
	return 0;
}

/* Cuts the log at off (a torn tail) and makes the cut durable. */
static int
rd_cut(struct net_raft_disk *d, uint64_t off, char *err, size_t errlen)
{
	d->torn = d->end - off;
	if (ftruncate(d->logfd, (off_t)off) != 0 ||
	    rd_fsync(d, d->logfd, false) != 0)
		return sec_err(err, errlen, "%s/%s: cutting a torn tail: %s",
		    d->dir, RD_LOG, strerror(errno));
	d->end = off;
	return 0;
}

static int
rd_log_scan(struct net_raft_disk *d, char *err, size_t errlen)
{
	struct rd_rec	 r, r2;
	uint8_t		*scratch = NULL, magic[RD_MAGIC_LEN];
	size_t		 scap = 0;
	uint64_t	 off = RD_MAGIC_LEN;
	int		 rc = 0, c;

	if (d->end < RD_MAGIC_LEN || rd_pread_all(d->logfd, magic,
	    RD_MAGIC_LEN, 0) != 0 || memcmp(magic, RD_LOG_MAGIC,
	    RD_MAGIC_LEN) != 0)
		return sec_err(err, errlen, "%s/%s: not a raft log (bad "
		    "header): refusing to start", d->dir, RD_LOG);
	while (off < d->end) {
		c = rd_rec_check(d, off, &r, &scratch, &scap);
		if (c < 0) {
			rc = sec_err(err, errlen, "%s/%s: %s", d->dir, RD_LOG,
			    strerror(errno));
			break;
		}
		if (c == 0 && d->n > 0 && r.index != d->first + d->n) {
			rc = sec_err(err, errlen, "%s/%s: damaged: record at "
			    "offset %llu has index %llu, expected %llu: "
			    "refusing to start", d->dir, RD_LOG,
			    (unsigned long long)off,
			    (unsigned long long)r.index,
			    (unsigned long long)(d->first + d->n));
			break;
		}
		if (c == 1) {
			/* Torn unless a whole good record follows. */
			if (r.len <= RD_MAX_RECORD && d->end - off >=
			    RD_REC_HEAD + (uint64_t)r.len &&
			    rd_rec_check(d, off + RD_REC_HEAD + r.len, &r2,
			    &scratch, &scap) == 0) {
				rc = sec_err(err, errlen, "%s/%s: damaged: bad "
				    "record at offset %llu (after index %llu) "
				    "with good records after it: refusing to "
				    "start", d->dir, RD_LOG,
				    (unsigned long long)off,
				    (unsigned long long)(d->n > 0 ?
				    d->first + d->n - 1 : 0));
				break;
			}
			rc = rd_cut(d, off, err, errlen);
			break;
		}
		if (d->n == 0)
			d->first = r.index;
		if (rd_push_off(d, off) != 0) {
			rc = sec_err(err, errlen, "out of memory");
			break;
		}
		off += RD_REC_HEAD + r.len;
	}
	free(scratch);
	return rc;
}

/* ---- the snapshot's header ---- */

struct rd_snap_head {
	uint64_t	index, term, conf_index, data_len;
	uint32_t	conf_len, crc;
};

static void
rd_snap_head_put(uint8_t *h, const struct rd_snap_head *s)
{
	memset(h, 0, RD_SNAP_HEAD);
	memcpy(h, RD_SNAP_MAGIC, RD_MAGIC_LEN);
	rd_put64(h + 8, s->index);
	rd_put64(h + 16, s->term);
	rd_put64(h + 24, s->conf_index);
	rd_put32(h + 32, s->conf_len);
	rd_put64(h + 40, s->data_len);
	rd_put32(h + 48, s->crc);
}

/* Opens the snapshot and checks its header against its size. */
static int
rd_snap_open(struct net_raft_disk *d, struct rd_snap_head *s, int *fdp,
    char *err, size_t errlen)
{
	uint8_t		h[RD_SNAP_HEAD];
	struct stat	st;
	int		fd;

	*fdp = -1;
	fd = openat(d->dirfd, RD_SNAP, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			(void)close(fd);
		return sec_err(err, errlen, "%s/%s: %s", d->dir, RD_SNAP,
		    strerror(errno));
	}
	if (st.st_size < RD_SNAP_HEAD || rd_pread_all(fd, h, sizeof h, 0) !=
	    0 || memcmp(h, RD_SNAP_MAGIC, RD_MAGIC_LEN) != 0)
		goto bad;
	s->index = rd_get64(h + 8);
	s->term = rd_get64(h + 16);
	s->conf_index = rd_get64(h + 24);
	s->conf_len = rd_get32(h + 32);
	s->data_len = rd_get64(h + 40);
	s->crc = rd_get32(h + 48);
	if (s->index == 0 || s->conf_len > RD_MAX_CONF || s->data_len >
	    NET_RAFT_DISK_MAX_SNAPSHOT || (uint64_t)st.st_size !=
	    RD_SNAP_HEAD + (uint64_t)s->conf_len + s->data_len)
		goto bad;
	*fdp = fd;
	return 0;
bad:
	(void)close(fd);
	return sec_err(err, errlen, "%s/%s: damaged (header or size): "
	    "refusing to start", d->dir, RD_SNAP);
}

/*
 * The log must continue the snapshot.  If it holds the snapshot's last
 * entry with another term, or ends before it (a crash between writing an
 * installed snapshot and emptying the log), its entries are stale and go.
 */
static int
rd_log_fit_snapshot(struct net_raft_disk *d, char *err, size_t errlen)
{
	uint8_t		h[RD_REC_HEAD];
	uint64_t	last;

	if (!d->has_snap || d->n == 0)
		return 0;
	last = d->first + d->n - 1;
	if (d->first > d->snap_index + 1)
		return sec_err(err, errlen, "%s: damaged: the log starts at "
		    "%llu, after the snapshot's %llu: refusing to start",
		    d->dir, (unsigned long long)d->first,
		    (unsigned long long)d->snap_index);
	if (d->first == d->snap_index + 1)
		return 0;	/* continues right after it */
	if (last >= d->snap_index) {
		if (rd_pread_all(d->logfd, h, sizeof h,
		    d->off[d->snap_index - d->first]) != 0)
			return sec_err(err, errlen, "%s/%s: %s", d->dir,
			    RD_LOG, strerror(errno));
		if (rd_get64(h + 8) == d->snap_term)
			return 0;
	}
	return rd_log_create(d, err, errlen);
}

int
net_raft_disk_open(struct net_raft_disk *d, const char *data_dir,
    size_t max_entry, char *err, size_t errlen)
{
	struct rd_snap_head	s;
	struct stat		st;
	size_t			n;
	int			fd, rc;

	memset(d, 0, sizeof *d);
	d->dirfd = d->logfd = -1;
	d->max_entry = max_entry;
	n = strlen(data_dir) + sizeof "/raft";
	if ((d->dir = malloc(n)) == NULL)
		return sec_err(err, errlen, "out of memory");
	(void)snprintf(d->dir, n, "%s/raft", data_dir);
	if (mkdir(d->dir, 0700) != 0 && errno != EEXIST)
		goto syserr;
	if ((d->dirfd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		goto syserr;
	if (rd_meta_read(d, err, errlen) != 0)
		goto fail;
	d->logfd = openat(d->dirfd, RD_LOG, O_RDWR | O_CLOEXEC);
	if (d->logfd < 0 && errno == ENOENT) {
		if (rd_log_create(d, err, errlen) != 0)
			goto fail;
	} else if (d->logfd < 0 || fstat(d->logfd, &st) != 0)
		goto syserr;
	else {
		d->end = (uint64_t)st.st_size;
		if (rd_log_scan(d, err, errlen) != 0)
			goto fail;
	}
	rc = rd_snap_open(d, &s, &fd, err, errlen);
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		(void)close(fd);
		d->has_snap = 1;
		d->snap_index = s.index;
		d->snap_term = s.term;
	}
	if (!d->has_snap && d->n > 0 && d->first != 1) {
		(void)sec_err(err, errlen, "%s: damaged: the log starts at "
		    "%llu and there is no snapshot: refusing to start", d->dir,
		    (unsigned long long)d->first);
		goto fail;
	}
	if (rd_log_fit_snapshot(d, err, errlen) != 0)
		goto fail;
	d->next = d->n > 0 ? d->first + d->n : d->has_snap ?
	    d->snap_index + 1 : 1;
	return 0;
syserr:
	(void)sec_err(err, errlen, "%s: %s", d->dir, strerror(errno));
fail:
	net_raft_disk_close(d);
	return -1;
}

void
net_raft_disk_close(struct net_raft_disk *d)
{
	if (d->logfd >= 0)
		(void)close(d->logfd);
	if (d->dirfd >= 0)
		(void)close(d->dirfd);
	free(d->off);
	free(d->dir);
	d->off = NULL;
	d->dir = NULL;
	d->logfd = d->dirfd = -1;
}

int
net_raft_disk_has_state(const struct net_raft_disk *d)
{
	return d->meta.term != 0 || d->meta.vote != 0 || d->n > 0 ||
	    d->has_snap;
}

int
net_raft_disk_append(struct net_raft_disk *d, const struct raft_entry *e,
    unsigned n, char *err, size_t errlen)
{
	uint8_t		h[RD_REC_HEAD];
	unsigned	i;
	size_t		len;

	for (i = 0; i < n; i++) {
		len = e[i].buf.len;
		if (len > RD_MAX_RECORD)
			return sec_err(err, errlen, "raft entry of %zu bytes, "
			    "at most %u", len, RD_MAX_RECORD);
		rd_rec_head(h, (uint32_t)len, e[i].term, d->next,
		    e[i].type, e[i].buf.base);
		if (rd_pwrite_all(d->logfd, h, sizeof h, d->end) != 0 ||
		    (len > 0 && rd_pwrite_all(d->logfd, e[i].buf.base, len,
		    d->end + RD_REC_HEAD) != 0))
			return sec_err(err, errlen, "%s/%s: %s", d->dir,
			    RD_LOG, strerror(errno));
		if (d->n == 0)
			d->first = d->next;
		if (rd_push_off(d, d->end) != 0)
			return sec_err(err, errlen, "out of memory");
		d->end += RD_REC_HEAD + len;
		d->next++;
		atomic_fetch_add_explicit(&d->appended, 1,
		    memory_order_relaxed);
		atomic_fetch_add_explicit(&d->bytes, RD_REC_HEAD + len,
		    memory_order_relaxed);
	}
	return 0;
}

int
net_raft_disk_sync(struct net_raft_disk *d, char *err, size_t errlen)
{
	atomic_fetch_add_explicit(&d->log_syncs, 1, memory_order_relaxed);
	if (rd_fsync(d, d->logfd, true) != 0)
		return sec_err(err, errlen, "%s/%s: fdatasync: %s", d->dir,
		    RD_LOG, strerror(errno));
	return 0;
}

int
net_raft_disk_truncate(struct net_raft_disk *d, uint64_t index, char *err,
    size_t errlen)
{
	uint64_t	keep, at;

	if (index >= d->next)
		return 0;
	keep = d->n == 0 || index <= d->first ? 0 : index - d->first;
	at = keep == 0 ? RD_MAGIC_LEN : d->off[keep];
	if (d->n > keep && ftruncate(d->logfd, (off_t)at) != 0)
		return sec_err(err, errlen, "%s/%s: truncate: %s", d->dir,
		    RD_LOG, strerror(errno));
	if (d->n > keep)
		d->end = at;
	d->n = keep;
	if (keep == 0)
		d->first = 0;
	d->next = index;
	return 0;
}

/* Rewrites the log keeping records [k, n); k == n empties it. */
static int
rd_compact(struct net_raft_disk *d, uint64_t k, char *err, size_t errlen)
{
	struct iovec	 iov[2];
	uint8_t		*buf;
	uint64_t	 from, len, i;
	int		 rc;

	if (k == 0)
		return 0;
	if (k >= d->n)
		return rd_log_create(d, err, errlen);
	from = d->off[k];
	len = d->end - from;
	if (len > SIZE_MAX || (buf = malloc((size_t)len)) == NULL)
		return sec_err(err, errlen, "out of memory compacting the log");
	if (rd_pread_all(d->logfd, buf, (size_t)len, from) != 0) {
		free(buf);
		return sec_err(err, errlen, "%s/%s: %s", d->dir, RD_LOG,
		    strerror(errno));
	}
	iov[0].iov_base = (void *)RD_LOG_MAGIC;
	iov[0].iov_len = RD_MAGIC_LEN;
	iov[1].iov_base = buf;
	iov[1].iov_len = (size_t)len;
	(void)close(d->logfd);
	d->logfd = -1;
	rc = rd_write_atomic(d, RD_LOG, iov, 2, err, errlen);
	free(buf);
	if (rc == 0 && (d->logfd = openat(d->dirfd, RD_LOG, O_RDWR |
	    O_CLOEXEC)) < 0)
		rc = sec_err(err, errlen, "%s/%s: %s", d->dir, RD_LOG,
		    strerror(errno));
	if (rc != 0)
		return -1;
	for (i = k; i < d->n; i++)
		d->off[i - k] = d->off[i] - from + RD_MAGIC_LEN;
	d->first += k;
	d->n -= k;
	d->end = RD_MAGIC_LEN + len;
	return 0;
}

/* The configuration in the snapshot file's own format. */
static uint8_t *
rd_conf_encode(const struct raft_configuration *c, uint32_t *len)
{
	uint8_t		*buf, *p;
	size_t		 n = 4, a;
	unsigned	 i;

	for (i = 0; i < c->n; i++)
		n += 16 + strlen(c->servers[i].address);
	if (n > RD_MAX_CONF || (buf = malloc(n)) == NULL)
		return NULL;
	p = buf;
	rd_put32(p, c->n);
	p += 4;
	for (i = 0; i < c->n; i++) {
		a = strlen(c->servers[i].address);
		rd_put64(p, c->servers[i].id);
		rd_put32(p + 8, (uint32_t)c->servers[i].role);
		rd_put32(p + 12, (uint32_t)a);
		memcpy(p + 16, c->servers[i].address, a);
		p += 16 + a;
	}
	*len = (uint32_t)n;
	return buf;
}

static int
rd_conf_decode(const uint8_t *p, size_t len, struct raft_configuration *c)
{
	char		 addr[256];
	uint32_t	 n, i, a, role;
	uint64_t	 id;

	if (len < 4)
		return -1;
	n = rd_get32(p);
	p += 4;
	len -= 4;
	for (i = 0; i < n; i++) {
		if (len < 16)
			return -1;
		id = rd_get64(p);
		role = rd_get32(p + 8);
		a = rd_get32(p + 12);
		if (a == 0 || a >= sizeof addr || len - 16 < a)
			return -1;
		memcpy(addr, p + 16, a);
		addr[a] = '\0';
		if (raft_configuration_add(c, id, addr, (int)role) != 0)
			return -1;
		p += 16 + a;
		len -= 16 + a;
	}
	return len == 0 ? 0 : -1;
}

int
net_raft_disk_snapshot_put(struct net_raft_disk *d, unsigned trailing,
    const struct raft_snapshot *s, char *err, size_t errlen)
{
	struct rd_snap_head	 sh;
	struct iovec		*iov;
	uint8_t			 h[RD_SNAP_HEAD], *conf;
	uint64_t		 keep_from, k;
	unsigned		 i;
	uint32_t		 crc;
	int			 rc;

	memset(&sh, 0, sizeof sh);
	sh.index = s->index;
	sh.term = s->term;
	sh.conf_index = s->configuration_index;
	if ((conf = rd_conf_encode(&s->configuration, &sh.conf_len)) == NULL)
		return sec_err(err, errlen, "snapshot configuration too big "
		    "or out of memory");
	for (i = 0; i < s->n_bufs; i++)
		sh.data_len += s->bufs[i].len;
	if ((iov = calloc(s->n_bufs + 2, sizeof *iov)) == NULL) {
		free(conf);
		return sec_err(err, errlen, "out of memory");
	}
	rd_snap_head_put(h, &sh);
	crc = rd_crc(rd_crc(0, h, RD_SNAP_HEAD), conf, sh.conf_len);
	for (i = 0; i < s->n_bufs; i++)
		crc = rd_crc(crc, s->bufs[i].base, s->bufs[i].len);
	sh.crc = crc;
	rd_snap_head_put(h, &sh);
	iov[0].iov_base = h;
	iov[0].iov_len = RD_SNAP_HEAD;
	iov[1].iov_base = conf;
	iov[1].iov_len = sh.conf_len;
	for (i = 0; i < s->n_bufs; i++) {
		iov[i + 2].iov_base = s->bufs[i].base;
		iov[i + 2].iov_len = s->bufs[i].len;
	}
	rc = rd_write_atomic(d, RD_SNAP, iov, (int)s->n_bufs + 2, err,
	    errlen);
	free(iov);
	free(conf);
	if (rc != 0)
		return -1;
	d->has_snap = 1;
	d->snap_index = s->index;
	d->snap_term = s->term;
	if (trailing == 0) {
		/* An installed snapshot replaces the whole log. */
		if (rd_log_create(d, err, errlen) != 0)
			return -1;
		d->next = s->index + 1;
		return 0;
	}
	if (d->n == 0)
		return 0;
	keep_from = s->index > trailing ? s->index - trailing + 1 : 1;
	if (keep_from <= d->first)
		return 0;
	k = keep_from - d->first;
	return rd_compact(d, k > d->n ? d->n : k, err, errlen);
}

static struct raft_snapshot *
rd_snap_alloc(const struct rd_snap_head *sh)
{
	struct raft_snapshot	*s;

	s = raft_calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	s->index = sh->index;
	s->term = sh->term;
	s->configuration_index = sh->conf_index;
	raft_configuration_init(&s->configuration);
	s->bufs = raft_calloc(1, sizeof *s->bufs);
	if (s->bufs == NULL ||
	    (s->bufs[0].base = raft_malloc(sh->data_len > 0 ?
	    (size_t)sh->data_len : 1)) == NULL) {
		raft_free(s->bufs);
		raft_free(s);
		return NULL;
	}
	s->bufs[0].len = (size_t)sh->data_len;
	s->n_bufs = 1;
	return s;
}

static void
rd_snap_free(struct raft_snapshot *s)
{
	raft_configuration_close(&s->configuration);
	raft_free(s->bufs[0].base);
	raft_free(s->bufs);
	raft_free(s);
}

int
net_raft_disk_snapshot_get(struct net_raft_disk *d, struct raft_snapshot **out,
    char *err, size_t errlen)
{
	struct rd_snap_head	 sh;
	struct raft_snapshot	*s;
	uint8_t			 h[RD_SNAP_HEAD], *conf = NULL;
	uint32_t		 crc;
	int			 fd, rc;

	*out = NULL;
	rc = rd_snap_open(d, &sh, &fd, err, errlen);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if ((s = rd_snap_alloc(&sh)) == NULL ||
	    (conf = malloc(sh.conf_len > 0 ? sh.conf_len : 1)) == NULL) {
		(void)close(fd);
		if (s != NULL)
			rd_snap_free(s);
		return sec_err(err, errlen, "out of memory reading the "
		    "snapshot");
	}
	if (rd_pread_all(fd, conf, sh.conf_len, RD_SNAP_HEAD) != 0 ||
	    rd_pread_all(fd, s->bufs[0].base, (size_t)sh.data_len,
	    RD_SNAP_HEAD + (uint64_t)sh.conf_len) != 0) {
		rc = sec_err(err, errlen, "%s/%s: %s", d->dir, RD_SNAP,
		    strerror(errno));
		goto out;
	}
	crc = sh.crc;
	sh.crc = 0;
	rd_snap_head_put(h, &sh);
	if (rd_crc(rd_crc(rd_crc(0, h, RD_SNAP_HEAD), conf, sh.conf_len),
	    s->bufs[0].base, (size_t)sh.data_len) != crc ||
	    rd_conf_decode(conf, sh.conf_len, &s->configuration) != 0) {
		rc = sec_err(err, errlen, "%s/%s: damaged (checksum or "
		    "configuration)", d->dir, RD_SNAP);
		goto out;
	}
	*out = s;
	s = NULL;
	rc = 0;
out:
	(void)close(fd);
	free(conf);
	if (s != NULL)
		rd_snap_free(s);
	return rc;
}

/* Reads every record into one raft_malloc'd batch. */
static int
rd_load_entries(struct net_raft_disk *d, struct raft_entry **entries,
    char *err, size_t errlen)
{
	struct raft_entry	*e;
	uint8_t			 h[RD_REC_HEAD], *batch;
	uint64_t		 i, data, len, pos = 0;

	data = d->end - RD_MAGIC_LEN - d->n * RD_REC_HEAD;
	e = raft_calloc((size_t)d->n, sizeof *e);
	batch = raft_malloc(data > 0 ? (size_t)data : 1);
	if (e == NULL || batch == NULL) {
		raft_free(e);
		raft_free(batch);
		return sec_err(err, errlen, "out of memory loading the log");
	}
	for (i = 0; i < d->n; i++) {
		len = (i + 1 < d->n ? d->off[i + 1] : d->end) - d->off[i] -
		    RD_REC_HEAD;
		if (rd_pread_all(d->logfd, h, sizeof h, d->off[i]) != 0 ||
		    rd_pread_all(d->logfd, batch + pos, (size_t)len,
		    d->off[i] + RD_REC_HEAD) != 0) {
			raft_free(e);
			raft_free(batch);
			return sec_err(err, errlen, "%s/%s: %s", d->dir,
			    RD_LOG, strerror(errno));
		}
		e[i].term = rd_get64(h + 8);
		e[i].type = (unsigned short)rd_get32(h + 24);
		e[i].buf.base = batch + pos;
		e[i].buf.len = (size_t)len;
		e[i].batch = batch;
		pos += len;
	}
	*entries = e;
	return 0;
}

int
net_raft_disk_load(struct net_raft_disk *d, struct raft_snapshot **snapshot,
    raft_index *start_index, struct raft_entry **entries, size_t *n,
    char *err, size_t errlen)
{
	*snapshot = NULL;
	*entries = NULL;
	*n = 0;
	if (d->has_snap && net_raft_disk_snapshot_get(d, snapshot, err,
	    errlen) != 0)
		return -1;
	if (d->has_snap && *snapshot == NULL)
		return sec_err(err, errlen, "%s/%s: vanished", d->dir,
		    RD_SNAP);
	if (d->n > 0 && rd_load_entries(d, entries, err, errlen) != 0) {
		if (*snapshot != NULL)
			rd_snap_free(*snapshot);
		*snapshot = NULL;
		return -1;
	}
	*n = (size_t)d->n;
	*start_index = d->n > 0 ? d->first : d->has_snap ?
	    d->snap_index + 1 : 1;
	return 0;
}

int
net_raft_disk_probe(const char *data_dir)
{
	struct net_raft_disk	d;
	struct stat		st;
	char			dir[4096];
	int			rc;

	if ((size_t)snprintf(dir, sizeof dir, "%s/raft", data_dir) >=
	    sizeof dir)
		return 1;
	if (stat(dir, &st) != 0 && errno == ENOENT)
		return 0;
	/* Opening adds at most an empty log. */
	if (net_raft_disk_open(&d, data_dir, RD_MAX_RECORD, NULL, 0) != 0)
		return 1;	/* something is there, if only damage */
	rc = net_raft_disk_has_state(&d);
	net_raft_disk_close(&d);
	return rc;
}

int
net_raft_disk_wipe(const char *data_dir, char *err, size_t errlen)
{
	static const char *const names[] = { RD_META, RD_LOG, RD_SNAP,
	    RD_META RD_TMP_SUFFIX, RD_LOG RD_TMP_SUFFIX,
	    RD_SNAP RD_TMP_SUFFIX };
	char	dir[4096];
	size_t	i;
	int	dfd;

	if ((size_t)snprintf(dir, sizeof dir, "%s/raft", data_dir) >=
	    sizeof dir)
		return sec_err(err, errlen, "data dir path too long");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT)
		return 0;
	if (dfd < 0)
		return sec_err(err, errlen, "%s: %s", dir, strerror(errno));
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (unlinkat(dfd, names[i], 0) != 0 && errno != ENOENT) {
			(void)sec_err(err, errlen, "%s/%s: %s", dir, names[i],
			    strerror(errno));
			(void)close(dfd);
			return -1;
		}
	if (fsync(dfd) != 0) {
		(void)sec_err(err, errlen, "%s: %s", dir, strerror(errno));
		(void)close(dfd);
		return -1;
	}
	(void)close(dfd);
	return 0;
}
