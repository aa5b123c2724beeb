/* site: where a jump may go (site.h). */
#include "engine/jump/site.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include "arch/x86.h"
#include "base/xalloc.h"
#include "engine/ptrace/ptrace.h"

/* The most of a function read to look for jumps into its first bytes. */
#define SCAN_MAX (256 * 1024)

/* The threads' instruction pointers (all stopped). */
size_t site_thread_rips(pid_t pid, uint64_t **out)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	VEC(uint64_t) v = {0};

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if ((dir = opendir(path))) {
		while ((d = readdir(dir))) {
			struct user_regs_struct r;
			pid_t tid = (pid_t)atoi(d->d_name);

			if (tid > 0 &&
			    ptrace(PTRACE_GETREGS, tid, NULL, &r) == 0)
				VEC_PUSH(&v, (uint64_t)r.rip);
		}
		closedir(dir);
	}
	*out = v.items;
	return v.len;
}

/* Decodes p's first range (its whole code when it has none: [addr,
 * addr + len)) linearly, bytes it cannot decode stepped over one at a
 * time, until hit(ctx, insn) says so. Returns whether it did; a range
 * too big or unreadable is given as too_big. */
static bool scan(struct engine *pt, const struct probe *p, uint64_t addr,
		 size_t len, bool too_big,
		 bool (*hit)(const struct insn *in, uint64_t addr, size_t len))
{
	uint64_t lo = p->nranges ? p->ranges[0].lo : addr;
	uint64_t hi = p->nranges ? p->ranges[0].hi : addr + len;
	uint8_t *code;
	size_t n, off = 0;
	bool found = false;

	if (hi <= lo)
		return false;
	if (hi - lo > SCAN_MAX)
		return too_big;
	n = (size_t)(hi - lo);
	code = xmalloc(n);
	if (ptrace_engine_ops.read_mem(pt, lo, code, n)) {
		free(code);
		return too_big;
	}
	while (off < n && !found) {
		struct insn in;

		if (x86_decode(code + off, n - off, lo + off, &in)) {
			off++;
			continue;
		}
		found = hit(&in, addr, len);
		off += in.len;
	}
	free(code);
	return found;
}

static bool lands_inside(const struct insn *in, uint64_t addr, size_t len)
{
	return (in->cls == INSN_JMP || in->cls == INSN_JCC ||
		in->cls == INSN_CALL || in->cls == INSN_LOOP) &&
	       in->target > addr && in->target < addr + len;
}

bool site_jumped_into(struct engine *pt, const struct probe *p, uint64_t addr,
		      size_t len)
{
	/* Too big to check, or unreadable: not patched. */
	return scan(pt, p, addr, len, true, lands_inside);
}

static bool is_call(const struct insn *in, uint64_t addr, size_t len)
{
	(void)addr;
	(void)len;
	return in->cls == INSN_CALL;
}

bool site_calls(struct engine *pt, const struct probe *p)
{
	return !p->nranges || scan(pt, p, 0, 0, true, is_call);
}

bool site_moves_freely(const uint8_t *code, size_t n, uint64_t addr)
{
	size_t off = 0;

	while (off < n) {
		struct insn in;

		if (x86_decode(code + off, n - off, addr + off, &in) ||
		    in.cls == INSN_CALL || in.cls == INSN_JMP)
			return false;
		off += in.len;
	}
	return true;
}

size_t site_read_maps(pid_t pid, struct site_map **out)
{
	char name[64], line[4096];
	VEC(struct site_map) v = {0};
	FILE *f;

	snprintf(name, sizeof(name), "/proc/%d/maps", (int)pid);
	if ((f = fopen(name, "re"))) {
		while (fgets(line, sizeof(line), f)) {
			unsigned long long lo, hi;
			struct site_map m = {0};
			int n = 0;

			if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %n", &lo,
				   &hi, &n) < 2)
				continue;
			m.lo = lo;
			m.hi = hi;
			if (n) {
				snprintf(m.path, sizeof(m.path), "%s", line + n);
				m.path[strcspn(m.path, "\n")] = 0;
			}
			VEC_PUSH(&v, m);
		}
		fclose(f);
	}
	*out = v.items;
	return v.len;
}

static bool is_free(const struct site_map *m, size_t n, uint64_t lo,
		    uint64_t hi)
{
	for (size_t i = 0; i < n; i++)
		if (lo < m[i].hi && m[i].lo < hi)
			return false;
	return true;
}

/* A free, page-aligned address for size bytes within reach (±1.5 GiB) of
 * the whole image mapped from the file at addr: just below or just above
 * its mappings, or in the first gap found moving away. 0 if none. */
uint64_t site_near_gap(const struct site_map *m, size_t n, uint64_t addr,
			 size_t size, uint64_t *img_lo, uint64_t *img_hi)
{
	const char *path = NULL;
	uint64_t lo = addr, hi = addr + 1;
	const uint64_t reach = 3ull << 29;

	for (size_t i = 0; i < n; i++)
		if (addr >= m[i].lo && addr < m[i].hi)
			path = m[i].path;
	for (size_t i = 0; path && path[0] && i < n; i++)
		if (!strcmp(m[i].path, path)) {
			if (m[i].lo < lo)
				lo = m[i].lo;
			if (m[i].hi > hi)
				hi = m[i].hi;
		}
	*img_lo = lo;
	*img_hi = hi;
	/* Below: each gap's top end, going down. */
	for (uint64_t at = (lo - size) & ~0xfffull; at + reach > hi && at < lo;
	     at -= 0x10000) {
		if (is_free(m, n, at, at + size))
			return at;
		if (at < 0x10000 + size)
			break;
	}
	for (uint64_t at = (hi + 0xfff) & ~0xfffull; at < lo + reach;
	     at += 0x10000)
		if (is_free(m, n, at, at + size))
			return at;
	return 0;
}


void site_known_read(struct site_known *k, pid_t pid)
{
	struct site_map *m = NULL;
	size_t n = site_read_maps(pid, &m);

	k->spans.len = 0;
	for (size_t i = 0; i < n; i++) {
		struct site_span sp = {m[i].lo, m[i].hi};

		VEC_PUSH(&k->spans, sp);
	}
	free(m);
}

bool site_known_at(const struct site_known *k, uint64_t addr)
{
	for (size_t i = 0; i < k->spans.len; i++)
		if (addr >= k->spans.items[i].lo && addr < k->spans.items[i].hi)
			return true;
	return false;
}

void site_known_free(struct site_known *k)
{
	VEC_FREE(&k->spans);
}
