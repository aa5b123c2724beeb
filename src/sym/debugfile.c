/* debugfile: the separate debug file of an image that has no DWARF of its
 * own, found where gdb looks for it, in gdb's order:
 *
 *   1. ROOT/.build-id/xx/yyyy.debug, from the image's GNU build-id;
 *   2. the .gnu_debuglink name, next to the file, in its .debug/ folder and
 *      under ROOT with the file's directory (its CRC-32 checked);
 *   3. debuginfod, when DEBUGINFOD_URLS is set (by build-id).
 *
 * ROOT is /usr/lib/debug, or TINYDBG_DEBUG_DIR (tests point it at a temp
 * directory). A file whose build-id or CRC does not match the image is
 * ignored with one warning. Only the DWARF and the symbol table are taken
 * from it: its code sections are empty (NOBITS), so the image's own bytes
 * are still read from the image. */
#include "sym/internal.h"

#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void (*notice_fn)(enum symtab_notice, const char *);

void symtab_set_notice(void (*fn)(enum symtab_notice kind, const char *msg))
{
	notice_fn = fn;
}

static void notice(enum symtab_notice kind, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!notice_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	notice_fn(kind, msg);
}

static const char *debug_root(void)
{
	const char *r = getenv("TINYDBG_DEBUG_DIR");

	return r && *r ? r : "/usr/lib/debug";
}

/* The CRC-32 .gnu_debuglink stores (the polynomial of zlib and of
 * gdb's gnu_debuglink_crc32), of the whole file. */
static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
	static uint32_t table[256];
	static bool ready;

	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = true;
	}
	crc = ~crc;
	while (n--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static int file_crc32(int fd, uint32_t *out)
{
	unsigned char buf[65536];
	uint32_t crc = 0;
	off_t off = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		crc = crc32_update(crc, buf, (size_t)n);
		off += n;
	}
	if (n < 0)
		return -errno;
	*out = crc;
	return 0;
}

/* The image's GNU build-id, or 0 bytes. */
static size_t build_id(Elf *elf, const unsigned char **id)
{
	const void *p = NULL;
	ssize_t n = dwelf_elf_gnu_build_id(elf, &p);

	*id = p;
	return n > 0 ? (size_t)n : 0;
}

/* DWARF of its own: a .debug_info with bytes (a stripped file keeps the
 * section headers, as NOBITS). */
static bool has_debug_info(Elf *elf)
{
	return elf_has_section(elf, ".debug_info", true) ||
	       elf_has_section(elf, ".zdebug_info", true);
}

bool debugfile_needed(struct symtab *st)
{
	return !has_debug_info(st->elf);
}

/* Takes fd (closed on failure): an ELF file with DWARF whose build-id,
 * when the image has one and so does the file, is the image's. 0, or
 * -ENOENT (unusable) or -EINVAL (a mismatch, warned about). */
static int take(struct symtab *st, int fd, const char *path, bool check_id)
{
	const unsigned char *want, *got;
	size_t nwant = build_id(st->elf, &want), ngot;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);

	if (!elf || elf_kind(elf) != ELF_K_ELF || !has_debug_info(elf)) {
		elf_end(elf);
		close(fd);
		return -ENOENT;
	}
	ngot = build_id(elf, &got);
	if (check_id && nwant && ngot &&
	    (ngot != nwant || memcmp(got, want, nwant))) {
		notice(SYMTAB_WARNING, "%s: its build-id is not %s's: "
		       "ignored", path, st->path);
		elf_end(elf);
		close(fd);
		return -EINVAL;
	}
	st->dbg_fd = fd;
	st->dbg_elf = elf;
	st->dbg_path = xstrdup(path);
	return 0;
}

static int try_build_id(struct symtab *st, const unsigned char *id,
			size_t n)
{
	char path[PATH_MAX], *p;
	int fd, len;

	len = snprintf(path, sizeof(path), "%s/.build-id/%02x/", debug_root(),
		       id[0]);
	if (len < 0 || (size_t)len + 2 * n + 8 > sizeof(path))
		return -ENOENT;
	p = path + len;
	for (size_t i = 1; i < n; i++)
		p += sprintf(p, "%02x", id[i]);
	strcpy(p, ".debug");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	return take(st, fd, path, true);
}

/* The same file as the image itself (a debuglink naming the file's own
 * name, looked up next to it). */
static bool same_as_image(const struct symtab *st, int fd)
{
	struct stat a, b;

	return fstat(st->fd, &a) == 0 && fstat(fd, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int try_link(struct symtab *st, const char *path, uint32_t crc)
{
	uint32_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -ENOENT;
	if (same_as_image(st, fd) || file_crc32(fd, &got)) {
		close(fd);
		return -ENOENT;
	}
	if (got != crc) {
		notice(SYMTAB_WARNING, "%s: CRC %08x, but %s's .gnu_debuglink "
		       "says %08x: ignored", path, got, st->path, crc);
		close(fd);
		return -EINVAL;
	}
	/* The CRC names this very file: no build-id check needed. */
	return take(st, fd, path, false);
}

static int try_debuglink(struct symtab *st)
{
	GElf_Word crc = 0;
	const char *name = dwelf_elf_gnu_debuglink(st->elf, &crc);
	char real[PATH_MAX], dir[PATH_MAX], path[PATH_MAX * 2 + 16];
	char *slash;

	if (!name || !*name || strchr(name, '/'))
		return -ENOENT;
	/* gdb looks beside the file as it is, links resolved. */
	if (!realpath(st->path, real))
		snprintf(real, sizeof(real), "%s", st->path);
	snprintf(dir, sizeof(dir), "%s", real);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		strcpy(dir, ".");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!try_link(st, path, crc))
		return 0;
	snprintf(path, sizeof(path), "%s/.debug/%s", dir, name);
	if (!try_link(st, path, crc))
		return 0;
	snprintf(path, sizeof(path), "%s%s%s/%s", debug_root(),
		 dir[0] == '/' ? "" : "/", dir, name);
	if (!try_link(st, path, crc))
		return 0;
	return -ENOENT;
}

/* debuginfod: how long a download may take in all, before it is given
 * up (libdebuginfod's own DEBUGINFOD_TIMEOUT only bounds a stall). */
#define DEBUGINFOD_DEFAULT_S 30

/* libdebuginfod, opened when first needed (as libdwfl does): linked in,
 * it and libcurl's dependencies would cost every run their start-up,
 * debuginfod or not. */
static struct {
	bool tried, ok;
	debuginfod_client *(*begin)(void);
	void (*end)(debuginfod_client *);
	int (*find_debuginfo)(debuginfod_client *, const unsigned char *, int,
			      char **);
	void (*set_progressfn)(debuginfod_client *, debuginfod_progressfn_t);
	void (*set_user_data)(debuginfod_client *, void *);
	void *(*get_user_data)(debuginfod_client *);
} dfd;

static bool dfd_load(void)
{
	void *h;

	if (dfd.tried)
		return dfd.ok;
	dfd.tried = true;
	h = dlopen("libdebuginfod.so.1", RTLD_LAZY | RTLD_LOCAL);
	if (!h)
		return false;
	*(void **)&dfd.begin = dlsym(h, "debuginfod_begin");
	*(void **)&dfd.end = dlsym(h, "debuginfod_end");
	*(void **)&dfd.find_debuginfo = dlsym(h, "debuginfod_find_debuginfo");
	*(void **)&dfd.set_progressfn = dlsym(h, "debuginfod_set_progressfn");
	*(void **)&dfd.set_user_data = dlsym(h, "debuginfod_set_user_data");
	*(void **)&dfd.get_user_data = dlsym(h, "debuginfod_get_user_data");
	dfd.ok = dfd.begin && dfd.end && dfd.find_debuginfo &&
		 dfd.set_progressfn && dfd.set_user_data && dfd.get_user_data;
	return dfd.ok;
}

struct dl_state {
	const struct symtab *st;
	struct timespec t0;
	double limit;
	bool told;
};

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Called by libdebuginfod while its queries run (not for a file already
 * in its cache, nor for one it knows is missing): once a server sends the
 * file (b, its size, is known then; before, a and b count queries) or the
 * wait gets long, says so once; gives up after the limit. Quick answers
 * that a server has nothing stay silent: most libraries have no debug
 * info anywhere. */
static int dl_progress(debuginfod_client *c, long a, long b)
{
	struct dl_state *s = dfd.get_user_data(c);

	if (!s->told && (b > 0 || since(&s->t0) > 1.0)) {
		notice(SYMTAB_NOTE, "downloading debug info for %s from %s",
		       s->st->path, getenv("DEBUGINFOD_URLS"));
		s->told = true;
	}
	return since(&s->t0) > s->limit;
}

static int try_debuginfod(struct symtab *st, const unsigned char *id,
			  size_t n)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	const char *lim = getenv("TINYDBG_DEBUGINFOD_TIMEOUT");
	struct dl_state s = {.st = st, .limit = DEBUGINFOD_DEFAULT_S};
	debuginfod_client *c;
	char *path = NULL;
	int fd, err;

	if (!urls || !*urls || !n)
		return -ENOENT;
	if (!dfd_load()) {
		static bool said;

		if (!said)
			notice(SYMTAB_WARNING, "DEBUGINFOD_URLS is set, but "
			       "libdebuginfod.so.1 cannot be loaded: %s",
			       dlerror());
		said = true;
		return -ENOENT;
	}
	if (lim && atof(lim) > 0)
		s.limit = atof(lim);
	c = dfd.begin();
	if (!c)
		return -ENOENT;
	clock_gettime(CLOCK_MONOTONIC, &s.t0);
	dfd.set_user_data(c, &s);
	dfd.set_progressfn(c, dl_progress);
	fd = dfd.find_debuginfo(c, id, (int)n, &path);
	dfd.end(c);
	if (fd < 0) {
		/* No server has it (ENOENT): the common case, not worth a
		 * line. A failure after the note is. */
		if (s.told && fd != -ENOENT)
			notice(SYMTAB_WARNING, "no debug info for %s from "
			       "debuginfod: %s", st->path,
			       since(&s.t0) > s.limit ? "timed out"
						      : strerror(-fd));
		free(path);
		return -ENOENT;
	}
	err = take(st, fd, path ? path : "debuginfod", true);
	free(path);
	return err;
}

int debugfile_open(struct symtab *st)
{
	const unsigned char *id;
	size_t n = build_id(st->elf, &id);

	if (n && !try_build_id(st, id, n))
		return 0;
	if (!try_debuglink(st))
		return 0;
	return try_debuginfod(st, id, n);
}

void debugfile_close(struct symtab *st)
{
	if (st->dbg_elf)
		elf_end(st->dbg_elf);
	if (st->dbg_fd >= 0)
		close(st->dbg_fd);
	free(st->dbg_path);
	st->dbg_elf = NULL;
	st->dbg_fd = -1;
	st->dbg_path = NULL;
}

const char *symtab_debug_path(const struct symtab *st)
{
	return st->dbg_path;
}
