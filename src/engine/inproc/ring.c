/* ring: the records the agent wrote, taken in order and handed to the
 * debugger as hits (shm.h has the ring's protocol).
 *
 * A reader thread sleeps on the header's futex word, which a writer bumps
 * when its record takes the ring past an eighth full, and otherwise looks
 * every READER_POLL_MS; it only wakes the ptrace run loop, which drains on
 * the engine thread, in order with its own stops. */
#include "engine/inproc/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "capture/capture.h"
#include "engine/ptrace/ptrace.h"

#define READER_POLL_MS 2

static int64_t clock_of(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* The TSC rate, measured over everything since the setup: refined while
 * the trace runs, so that the error does not grow with time. */
static void recalibrate(struct engine *e)
{
	int64_t now = clock_of(CLOCK_MONOTONIC);
	uint64_t t;

	if (now - e->calibrated_at < 50000000)
		return;
	ip_clock_pair(&t, &now);
	if (t <= e->tsc0)
		return;
	e->ns_per_tick = (double)(now - e->mono0) / (double)(t - e->tsc0);
	e->calibrated_at = now;
}

static uint64_t real_ns(struct engine *e, uint64_t tsc)
{
	double d = ((double)(int64_t)(tsc - e->tsc0)) * e->ns_per_tick;

	return (uint64_t)(e->mono0 + (int64_t)d + e->mono_to_real);
}

/* The agent's compact record (shm.h's ip_rec) as a capture record:
 * its registers in place, those it left out marked absent. Returns the
 * capture record's size, or 0 for a record that is not well-formed. */
static size_t expand(struct engine *e, const void *rec, size_t len)
{
	const struct ip_rec *r = rec;
	const uint64_t *in = (const void *)(r + 1);
	struct cap_record_hdr *h;
	size_t fixed, chunks, need;

	if (len < sizeof(*r) || r->size < sizeof(*r) || r->size > len ||
	    (r->regmask & ~CAP_REGS_ALL))
		return 0;
	fixed = sizeof(*r) + 8 * (size_t)__builtin_popcount(r->regmask) +
		((r->flags & CAP_REC_XMM) ? 128 : 0);
	if (fixed > r->size)
		return 0;
	chunks = r->size - fixed;
	need = sizeof(*h) + chunks;
	if (need > e->expand_size) {
		free(e->expand);
		e->expand = xmalloc(need);
		e->expand_size = need;
	}
	h = (struct cap_record_hdr *)e->expand;
	memset(h, 0, sizeof(*h));
	h->size = (uint32_t)need;
	h->kind = CAP_REC_HIT;
	h->nchunks = r->nchunks;
	h->probe = r->probe;
	h->time_ns = r->time;
	h->pid = e->hdr->pid;
	h->tid = r->tid;
	h->absent = CAP_REGS_ALL & ~r->regmask;
	for (int i = 0; i < CAP_NREGS; i++)
		if (r->regmask & (1u << i))
			h->regs[i] = *in++;
	if (r->flags & CAP_REC_XMM) {
		memcpy(h->xmm, in, sizeof(h->xmm));
		h->flags = CAP_REC_XMM;
		in += 16;
	}
	memcpy(h + 1, in, chunks);
	return need;
}

static int on_record(struct engine *e, const void *rec, size_t len)
{
	struct capture_snapshot snap;
	struct target_access acc;
	const struct ip_eprobe *q;
	const struct cap_record_hdr *h;
	struct hit hit;
	size_t n = expand(e, rec, len);
	int32_t before;

	if (!n || capture_snapshot_init(&snap, e->expand, n))
		return 0;
	/* Records dropped before this one (a full ring), reported where
	 * they were: a consumer that pairs calls with returns (the chrome
	 * format) then knows which calls' returns to give up on. */
	before = (int32_t)(((const struct ip_rec *)rec)->lost -
			   (uint32_t)e->lost_seen);
	if (before > 0) {
		if (e->cb->on_lost)
			e->cb->on_lost(e->cb->ctx, (uint64_t)before);
		e->lost_seen += (uint64_t)before;
	}
	h = snap.hdr;
	if (h->kind != CAP_REC_HIT || h->probe >= e->probes.len)
		return 0;
	q = &e->probes.items[h->probe];
	if (q->dead)
		return 0;
	memset(&acc, 0, sizeof(acc));
	capture_snapshot_access(&snap, &acc);
	memset(&hit, 0, sizeof(hit));
	hit.probe = q->p;
	hit.is_return = q->p->kind != PROBE_ENTRY;
	hit.tid = (pid_t)h->tid;
	hit.time_ns = real_ns(e, h->time_ns);
	hit.sp = h->regs[CAP_REG_RSP];
	hit.acc = &acc;
	/* What a stop here would have told the ptrace engine about the
	 * tail-call returns it waits for on this thread. */
	{
		uint64_t ret;
		bool have = q->p->kind == PROBE_ENTRY &&
			    !acc.read_mem(acc.ctx, hit.sp, &ret, 8);

		ptrace_engine_hit_seen(e->pt, hit.tid, q->p, hit.sp,
				       have ? &ret : NULL);
	}
	return e->cb->on_hit(e->cb->ctx, &hit);
}

/* Hands over up to max records. */
static int drain(struct engine *e, size_t max)
{
	struct ip_header *h = e->hdr;
	uint8_t *ring;
	uint64_t tail, head, mask, lost;
	size_t n = 0;
	int r = 0;

	if (!e->cb || !h)
		return 0;
	recalibrate(e);
	ring = e->shm + h->ring_off;
	mask = h->ring_size - 1;
	tail = h->tail;
	head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);
	while (tail < head && !r) {
		struct ip_slot *s = (struct ip_slot *)(ring + (tail & mask));

		if (n++ == max) {
			ptrace_engine_more(e->pt);
			break;
		}
		uint64_t stamp = __atomic_load_n(&s->stamp, __ATOMIC_ACQUIRE);
		uint32_t state = (uint32_t)(stamp & 7), len = s->len;

		/* Another position's stamp (an earlier lap's, or none):
		 * still being written, the next drain takes it. */
		if ((stamp & ~7ull) != tail || !state)
			break;
		if (len < sizeof(*s) || len > h->ring_size)
			break; /* cannot be: the ring is not ours to read */
		if (state == IP_SLOT_READY)
			r = on_record(e, s + 1, len - sizeof(*s));
		tail += len;
		__atomic_store_n(&h->tail, tail, __ATOMIC_RELEASE);
	}
	lost = __atomic_load_n(&h->lost, __ATOMIC_RELAXED);
	if (lost > e->lost_seen) {
		if (e->cb->on_lost)
			e->cb->on_lost(e->cb->ctx, lost - e->lost_seen);
		e->lost_seen = lost;
	}
	return r;
}

int ip_drain(void *ctx)
{
	return drain(ctx, SIZE_MAX);
}

int ip_drain_some(void *ctx)
{
	return drain(ctx, IP_DRAIN_BATCH);
}

static void *reader_main(void *arg)
{
	struct engine *e = arg;

	while (!atomic_load(&e->quit)) {
		struct ip_header *h = e->hdr;
		struct timespec ts = {0, READER_POLL_MS * 1000000L};
		uint32_t w;

		/* None (an exec dropped it; the next run's start makes
		 * another): look again later. */
		if (!h) {
			nanosleep(&ts, NULL);
			continue;
		}
		w = __atomic_load_n(&h->wake, __ATOMIC_ACQUIRE);

		if (__atomic_load_n(&h->head, __ATOMIC_ACQUIRE) ==
			    __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE) &&
		    __atomic_load_n(&h->lost, __ATOMIC_RELAXED) ==
			    e->lost_seen) {
			/* A shared mapping: not FUTEX_PRIVATE. */
			syscall(SYS_futex, &h->wake, FUTEX_WAIT, w, &ts, NULL,
				0);
			continue;
		}
		ptrace_engine_wake(e->pt);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

void ip_reader_start(struct engine *e)
{
	if (e->reader_on)
		return;
	atomic_store(&e->quit, false);
	if (pthread_create(&e->reader, NULL, reader_main, e) == 0)
		e->reader_on = true;
	/* Without it, records are taken at every stop and at the end. */
}

void ip_reader_stop(struct engine *e)
{
	if (!e->reader_on)
		return;
	atomic_store(&e->quit, true);
	struct ip_header *h = e->hdr;

	if (h) {
		__atomic_fetch_add(&h->wake, 1, __ATOMIC_RELEASE);
		syscall(SYS_futex, &h->wake, FUTEX_WAKE, 1, NULL, NULL, 0);
	}
	pthread_join(e->reader, NULL);
	e->reader_on = false;
}

void ip_thread_gone(struct engine *e, pid_t tid)
{
	struct ip_thread *t;

	if (!e->hdr)
		return;
	t = (struct ip_thread *)(e->shm + e->hdr->threads_off);
	for (size_t i = 0; i < IP_MAX_THREADS; i++)
		if (t[i].key && t[i].tid == (uint32_t)tid)
			__atomic_store_n(&t[i].tid, 0, __ATOMIC_RELAXED);
}
