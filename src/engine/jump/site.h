/* site: where a 5-byte jump may go, for the engines that patch code with
 * jumps (inproc; ebpf's jumps to a nop the kernel's uprobe optimises).
 *
 * The target is stopped, every thread. A jump at addr is safe when no
 * thread is stopped inside the bytes it displaces (site_thread_rips) and
 * nothing in the function jumps into them (site_jumped_into); its code
 * goes within a rel32 jump's reach of the whole image (site_near_gap).
 * Nothing here prints. */
#ifndef TINYDBG_ENGINE_JUMP_SITE_H
#define TINYDBG_ENGINE_JUMP_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/xalloc.h"
#include "engine/engine.h"

/* The instruction pointers of pid's threads (all stopped under ptrace),
 * in *out (free it); returns how many. */
size_t site_thread_rips(pid_t pid, uint64_t **out);

/* Whether any jump or call in p's first range lands inside (addr,
 * addr + len), reading the code through pt (a ptrace engine). A function
 * too big to scan counts as jumped into. */
bool site_jumped_into(struct engine *pt, const struct probe *p, uint64_t addr,
		      size_t len);

/* Whether p's function (its first range) calls anything: a linear
 * decode, as above; a function with no range, too big or unreadable
 * counts as a caller. */
bool site_calls(struct engine *pt, const struct probe *p);

/* Whether code[0..n) (at addr) holds neither a call nor a jump, nor
 * bytes that do not decode: a probe may come later for a call site or a
 * tail call, and a breakpoint inside a jump would break it. */
bool site_moves_freely(const uint8_t *code, size_t n, uint64_t addr);

/* A mapping of /proc/PID/maps. */
struct site_map {
	uint64_t lo, hi;
	char path[256];
};

/* pid's mappings, in *out (free it); returns how many. */
size_t site_read_maps(pid_t pid, struct site_map **out);

/* A free, page-aligned address for size bytes within reach (±1.5 GiB) of
 * the whole image mapped from the file at addr (*img_lo, *img_hi: its
 * span), or 0. */
uint64_t site_near_gap(const struct site_map *m, size_t n, uint64_t addr,
		       size_t size, uint64_t *img_lo, uint64_t *img_hi);

/* The spans of a process's mappings at one moment: code outside them
 * was mapped since (a library the loader's rendezvous announces), and no
 * thread can be in it before its constructors run. */
struct site_span {
	uint64_t lo, hi;
};

struct site_known {
	VEC(struct site_span) spans;
};

/* Replaces k's spans by pid's mappings now. */
void site_known_read(struct site_known *k, pid_t pid);
/* Whether addr was mapped when k was read. */
bool site_known_at(const struct site_known *k, uint64_t addr);
void site_known_free(struct site_known *k);

#endif
