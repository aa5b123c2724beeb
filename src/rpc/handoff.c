#include "rpc/handoff.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "base/xalloc.h"

/* One batch, in a FIFO: the client pops the one its answer names, which
 * is the oldest unless an answer was lost on the way (then the older ones
 * wait for handoff_free). */
struct handoff_batch {
	struct handoff_batch *next;
	uint64_t seq;
	struct api_tracepoint_result *evs;
	size_t n;
};

struct handoff {
	pthread_mutex_t lock;
	struct handoff_batch *head, **tail;
	struct handoff_batch *done;     /* handoff_done's, newest first */
	uint64_t next_seq;
	size_t pending;
};

struct handoff *handoff_new(void)
{
	struct handoff *h = xcalloc(1, sizeof(*h));

	pthread_mutex_init(&h->lock, NULL);
	h->tail = &h->head;
	h->next_seq = 1;
	return h;
}

static void batch_free(struct handoff_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		api_tracepoint_result_release(&b->evs[i]);
	free(b->evs);
	free(b);
}

void handoff_free(struct handoff *h)
{
	if (!h)
		return;
	while (h->head) {
		struct handoff_batch *b = h->head;

		h->head = b->next;
		batch_free(b);
	}
	while (h->done) {
		struct handoff_batch *b = h->done;

		h->done = b->next;
		batch_free(b);
	}
	pthread_mutex_destroy(&h->lock);
	free(h);
}

uint64_t handoff_push(struct handoff *h, struct api_tracepoint_result *evs,
		      size_t n)
{
	struct handoff_batch *b = xcalloc(1, sizeof(*b));
	uint64_t seq;

	b->evs = evs;
	b->n = n;
	pthread_mutex_lock(&h->lock);
	seq = b->seq = h->next_seq++;
	*h->tail = b;
	h->tail = &b->next;
	h->pending++;
	pthread_mutex_unlock(&h->lock);
	return seq;
}

int handoff_pop(struct handoff *h, uint64_t seq,
		struct api_tracepoint_result **evs, size_t *n)
{
	struct handoff_batch **p, *b = NULL;

	*evs = NULL;
	*n = 0;
	pthread_mutex_lock(&h->lock);
	for (p = &h->head; *p; p = &(*p)->next) {
		if ((*p)->seq != seq)
			continue;
		b = *p;
		*p = b->next;
		if (h->tail == &b->next)
			h->tail = p;
		h->pending--;
		break;
	}
	pthread_mutex_unlock(&h->lock);
	if (!b)
		return -ENOENT;
	*evs = b->evs;
	*n = b->n;
	free(b);
	return 0;
}

void handoff_done(struct handoff *h, struct api_tracepoint_result *evs,
		  size_t n)
{
	struct handoff_batch *b = xcalloc(1, sizeof(*b));

	b->evs = evs;
	b->n = n;
	pthread_mutex_lock(&h->lock);
	b->next = h->done;
	h->done = b;
	pthread_mutex_unlock(&h->lock);
}

int handoff_take_done(struct handoff *h, struct api_tracepoint_result **evs,
		      size_t *n)
{
	struct handoff_batch *b;

	pthread_mutex_lock(&h->lock);
	if ((b = h->done))
		h->done = b->next;
	pthread_mutex_unlock(&h->lock);
	if (!b)
		return 0;
	*evs = b->evs;
	*n = b->n;
	free(b);
	return 1;
}

size_t handoff_pending(struct handoff *h)
{
	size_t n;

	pthread_mutex_lock(&h->lock);
	n = h->pending;
	pthread_mutex_unlock(&h->lock);
	return n;
}
