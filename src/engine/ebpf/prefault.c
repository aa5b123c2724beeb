#include "engine/ebpf/prefault.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#define PF_PAGE 4096u
/* A mapping this big is data the program maps, not an image's section:
 * left alone (reading it would cost more than the probes save). */
#define PF_MAX_MAP (256u << 20)
#define PF_BATCH 512

static bool pf_done(const struct prefault *pf, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < pf->done.len; i++)
		if (pf->done.items[i].lo == lo && pf->done.items[i].hi == hi)
			return true;
	return false;
}

/* One byte of each page of [lo, hi) through one process_vm_readv per
 * batch of pages; a failed batch is retried page by page (one unreadable
 * page fails the whole call). */
static size_t pf_range(pid_t pid, uint64_t lo, uint64_t hi)
{
	static char sink[PF_BATCH];
	struct iovec local[PF_BATCH], remote[PF_BATCH];
	size_t n = 0;

	for (uint64_t a = lo; a < hi;) {
		size_t k = 0;

		for (; k < PF_BATCH && a < hi; k++, a += PF_PAGE) {
			local[k] = (struct iovec){sink + k, 1};
			remote[k] = (struct iovec){(void *)(uintptr_t)a, 1};
		}
		if (process_vm_readv(pid, local, k, remote, k, 0) == (ssize_t)k) {
			n += k;
			continue;
		}
		for (size_t i = 0; i < k; i++)
			if (process_vm_readv(pid, &local[i], 1, &remote[i], 1,
					     0) == 1)
				n++;
	}
	return n;
}

size_t prefault_images(struct prefault *pf, pid_t pid)
{
	char name[64], line[4096];
	size_t n = 0;
	FILE *f;

	snprintf(name, sizeof(name), "/proc/%d/maps", (int)pid);
	if (!(f = fopen(name, "re")))
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		char perms[8];
		int at = 0;

		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &lo, &hi,
			   perms, &at) < 3 || !at)
			continue;
		if (perms[0] != 'r' || perms[2] == 'x' || line[at] != '/' ||
		    hi - lo > PF_MAX_MAP || pf_done(pf, lo, hi))
			continue;
		n += pf_range(pid, lo, hi);
		VEC_PUSH(&pf->done, ((struct prefault_range){lo, hi}));
	}
	fclose(f);
	return n;
}

void prefault_free(struct prefault *pf)
{
	VEC_FREE(&pf->done);
}
