/* cxxstd: libstdc++'s common types loaded as its gdb pretty-printers show
 * them, not as the allocator internals DWARF describes.
 *
 * A type is recognised by its bare DWARF name ("vector<", "map<"...) and
 * then by libstdc++'s member names, looked up through base classes
 * (_M_impl._M_start is in _Vector_base's _Vector_impl_data; with
 * -D_GLIBCXX_DEBUG the same members are in the std::__cxx1998 base). A
 * type whose members are not where we expect is not recognised, and
 * prints as a struct. Reads are bounded as every other value's: the first
 * max_array elements, max_string bytes, and a walk of a tree or a list
 * stops at the first pointer that cannot be read.
 *
 * The tree (see value.h): strings are VK_STRING, as a char *. Containers
 * carry VF_CXX, their summary ("std::vector of length 3, capacity 4") in
 * .value, their size in .len and the first elements as children: a map's as key,
 * value, key, value (VK_MAP). Smart pointers and std::optional are a
 * summary and named children ("get()", "[contained value]"); std::pair a
 * plain struct without its empty base. */
#include "value/value.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "value/internal.h"

/* Elements a walk visits at most whatever the config says: a corrupt
 * list must not keep us here. */
#define CXX_WALK_MAX 100000

/* libstdc++'s _GLIBCXX_DEQUE_BUF_SIZE. */
#define CXX_DEQUE_BUF 512

/* _Rb_tree_node<V>'s value follows its 32-byte _Rb_tree_node_base. */
#define CXX_RB_BASE 32

static const struct {
	const char *prefix;
	enum vcxx_kind kind;
} by_name[] = {
	{"basic_string<char,", VCXX_STRING},
	{"basic_string<char>", VCXX_STRING},
	{"basic_string_view<char,", VCXX_STRING_VIEW},
	{"basic_string_view<char>", VCXX_STRING_VIEW},
	{"vector<", VCXX_VECTOR},
	{"array<", VCXX_ARRAY},
	{"deque<", VCXX_DEQUE},
	{"map<", VCXX_TREE},
	{"multimap<", VCXX_TREE},
	{"set<", VCXX_TREE_SET},
	{"multiset<", VCXX_TREE_SET},
	{"unordered_map<", VCXX_HASH},
	{"unordered_multimap<", VCXX_HASH},
	{"unordered_set<", VCXX_HASH_SET},
	{"unordered_multiset<", VCXX_HASH_SET},
	{"unique_ptr<", VCXX_UNIQUE},
	{"shared_ptr<", VCXX_SHARED},
	{"weak_ptr<", VCXX_SHARED},
	{"optional<", VCXX_OPTIONAL},
	{"tuple<", VCXX_TUPLE},
	{"pair<", VCXX_PAIR},
	{"list<", VCXX_LIST},
	{"variant<", VCXX_VARIANT},
};

/* The kind the name of struct st says; its members are checked later. */
static enum vcxx_kind kind_by_name(const struct ctype *st)
{
	const char *n = st->name;

	if (!n || st->kind != CT_STRUCT)
		return VCXX_NONE;
	if (!strncmp(n, "const ", 6))
		n += 6;
	for (size_t i = 0; i < sizeof(by_name) / sizeof(by_name[0]); i++)
		if (!strncmp(n, by_name[i].prefix, strlen(by_name[i].prefix)))
			return by_name[i].kind;
	return VCXX_NONE;
}

/* Whether name starts with "_Head_base<i" and i's digits end there
 * (gcc writes "_Head_base<0, int*, false>", clang "_Head_base<0UL, ...>"). */
static bool is_head_base(const char *name, size_t i)
{
	char want[32];
	size_t n;

	n = (size_t)snprintf(want, sizeof(want), "_Head_base<%zu", i);
	return name && !strncmp(name, want, n) &&
	       (name[n] < '0' || name[n] > '9');
}

/* vcxx_find for tuple element i: _M_head_impl of _Head_base<i, T>. */
static const struct ctype_member *head_impl(const struct ctype *st, size_t i,
					    uint64_t *off);

static const struct ctype *ptr_target(const struct ctype *t)
{
	const struct ctype *st = vtype_strip(t);

	if (!st || st->kind != CT_PTR || st->is_ref)
		return NULL;
	return st->target;
}

/* std::string: _M_dataplus._M_p and _M_string_length. clang describes
 * std::string only as a declaration (libstdc++ declares it an extern
 * template), or its _Alloc_hider so, and then the new ABI's layout is
 * assumed: the pointer first (the hider's only member), then the length. */
static bool lay_string(const struct ctype *st, struct vcxx_layout *l)
{
	l->p[0] = 0, l->p[1] = 8;
	if (st->declaration) {
		l->size = 32;
		return true;
	}
	if (!vcxx_path(st, "_M_dataplus._M_p", &l->p[0]) &&
	    !vcxx_path(st, "_M_dataplus", &l->p[0]))
		return false;
	return vcxx_path(st, "_M_string_length", &l->p[1]);
}

static bool lay_vector(const struct ctype *st, struct vcxx_layout *l)
{
	const struct ctype *el;

	/* vector<bool>: iterators, not pointers. */
	l->elem = ptr_target(vcxx_path(st, "_M_impl._M_start", &l->p[0]));
	return l->elem && (el = vtype_strip(l->elem)) && el->size &&
	       ptr_target(vcxx_path(st, "_M_impl._M_finish", &l->p[1])) &&
	       ptr_target(vcxx_path(st, "_M_impl._M_end_of_storage",
				    &l->p[2]));
}

static bool lay_array(const struct ctype *st, struct vcxx_layout *l)
{
	const struct ctype *at, *el;

	if (!(l->t[0] = vcxx_path(st, "_M_elems", &l->p[0])))
		return false;
	at = vtype_strip(l->t[0]);
	if (at && at->kind == CT_ARRAY) {
		l->elem = at->target;
		return (el = vtype_strip(at->target)) && el->size;
	}
	return true; /* std::array<T, 0> */
}

static bool lay_shared(const struct ctype *st, struct vcxx_layout *l)
{
	const struct ctype *cb;

	l->p[2] = 8, l->p[3] = 12;
	if (!(l->t[0] = vcxx_path(st, "_M_ptr", &l->p[0])) ||
	    !ptr_target(l->t[0]) ||
	    !(cb = ptr_target(vcxx_path(st, "_M_refcount._M_pi", &l->p[1]))))
		return false;
	cb = vtype_strip(cb);
	return !cb || cb->declaration ||
	       (vcxx_path(cb, "_M_use_count", &l->p[2]) &&
		vcxx_path(cb, "_M_weak_count", &l->p[3]));
}

static bool lay_optional(const struct ctype *st, struct vcxx_layout *l)
{
	const struct ctype_member *e, *m;

	if (!(e = vcxx_find(st, "_M_engaged", NULL, &l->p[0])) ||
	    !(m = vcxx_find(st, "_M_value", NULL, &l->p[1])))
		return false;
	l->t[1] = m->type;
	return true;
}

/* std::variant: _M_index, and alternative i in _M_u's chain of unions:
 * _M_rest i times, then _M_first._M_storage, which is the value itself
 * for a trivially destructible type, else an __aligned_membuf<T> of its
 * bytes (T its template argument). */
static bool lay_variant(const struct ctype *st, struct vcxx_layout *l)
{
	const struct ctype *u, *it, *at;
	uint64_t uo, o;

	if (!(it = vtype_strip(vcxx_path(st, "_M_index", &l->p[0]))) ||
	    !it->size || it->size > 8 || !(u = vcxx_path(st, "_M_u", &uo)))
		return false;
	l->t[0] = it;
	while (l->n + 1 < VCXX_MAX_PARTS &&
	       (at = vcxx_path(u, "_M_first._M_storage", &o))) {
		const struct ctype *ast = vtype_strip(at);

		if (ast && ast->kind == CT_STRUCT && ast->name &&
		    !strncmp(ast->name, "__aligned_membuf<", 17)) {
			if (!ast->ntargs)
				return false;
			at = ast->targs[0];
		}
		l->n++;
		l->p[l->n] = uo + o;
		l->t[l->n] = at;
		if (!(u = vcxx_path(u, "_M_rest", &o)))
			break;
		uo += o;
	}
	return l->n > 0;
}

bool vcxx_layout(const struct ctype *st, struct vcxx_layout *l)
{
	const struct ctype_member *m;

	memset(l, 0, sizeof(*l));
	l->kind = kind_by_name(st);
	if (l->kind == VCXX_NONE ||
	    (st->declaration && l->kind != VCXX_STRING))
		return false;
	l->size = st->size;
	switch (l->kind) {
	case VCXX_STRING:
		return lay_string(st, l);
	case VCXX_STRING_VIEW:
		return vcxx_path(st, "_M_str", &l->p[0]) &&
		       vcxx_path(st, "_M_len", &l->p[1]);
	case VCXX_VECTOR:
		return lay_vector(st, l);
	case VCXX_ARRAY:
		return lay_array(st, l);
	case VCXX_UNIQUE:
		/* unique_ptr's tuple<pointer, deleter>: _Head_base<0, T *>. */
		if (!(m = head_impl(st, 0, &l->p[0])) || !ptr_target(m->type))
			return false;
		l->t[0] = m->type;
		return true;
	case VCXX_SHARED:
		return lay_shared(st, l);
	case VCXX_OPTIONAL:
		return lay_optional(st, l);
	case VCXX_TUPLE:
		for (; l->n < VCXX_MAX_PARTS; l->n++) {
			if (!(m = head_impl(st, l->n, &l->p[l->n])))
				break;
			l->t[l->n] = m->type;
		}
		return true;
	case VCXX_PAIR:
		if (!(m = vcxx_member(st, "first", 5, &l->p[0])))
			return false;
		l->t[0] = m->type;
		if (!(m = vcxx_member(st, "second", 6, &l->p[1])))
			return false;
		l->t[1] = m->type;
		return true;
	case VCXX_VARIANT:
		return lay_variant(st, l);
	case VCXX_LIST:
		/* Not a user's own list<T>: that is a struct, and no stop. */
		return st->ntargs &&
		       vcxx_path(st, "_M_impl._M_node._M_next", &l->p[0]);
	default:
		/* Deques, lists, trees and hash tables: checked as they
		 * load (the capture compiler leaves them to a stop). */
		return true;
	}
}

/* One value being loaded. */
struct cx {
	struct value *v;
	const struct ctype *st;
	const struct vsrc *s;
	uint64_t off;
	int depth;
	char *tname; /* std::vector<int> */
	char *short_name; /* std::vector */
	struct vcxx_layout l;
};

/* The 8-byte word at off of the value; fails v when it cannot be read. */
static bool word_at(struct cx *x, uint64_t off, uint64_t *out)
{
	uint64_t where;
	int err;

	*out = 0;
	if ((err = vsrc_read(x->s, x->off + off, out, 8, &where))) {
		vfail(x->v, err, where);
		return false;
	}
	return true;
}

static int mem_word(const struct cx *x, uint64_t addr, uint64_t *out)
{
	*out = 0;
	return x->s->acc->read_mem(x->s->acc->ctx, addr, out, 8);
}

size_t vcxx_shown(const struct load_config *cfg, int depth, uint64_t n)
{
	int max = cfg->max_array;

	if (depth > cfg->max_recurse)
		return 0;
	if (max >= 0 && n > (uint64_t)max)
		n = (uint64_t)max;
	return n > CXX_WALK_MAX ? CXX_WALK_MAX : (size_t)n;
}

/* The number of elements shown of n: none below max_recurse. */
static size_t shown(const struct cx *x, uint64_t n)
{
	return vcxx_shown(x->s->cfg, x->depth, n);
}

/* Makes v a container of len elements whose summary is head; room for
 * nkids children. */
static void container(struct cx *x, enum vkind kind, char *head, int64_t len,
		      size_t nkids)
{
	struct value *v = x->v;

	v->kind = kind;
	v->flags |= VF_CXX;
	free(v->value);
	v->value = head;
	v->len = len;
	free(v->type);
	v->type = xstrdup(x->tname);
	if (nkids)
		v->children = xcalloc(nkids, sizeof(*v->children));
}

/* "std::map with 3 elements", as libstdc++'s printers count. */
static char *with_elements(const struct cx *x, uint64_t n)
{
	return xasprintf("%s with %" PRIu64 " element%s", x->short_name, n,
			 n == 1 ? "" : "s");
}

/* Loads the next child: a value of type t at target address addr. */
static void kid_at(struct cx *x, const char *name, const struct ctype *t,
		   uint64_t addr)
{
	struct vsrc es = {.acc = x->s->acc, .cfg = x->s->cfg, .mem = true,
			  .addr = addr, .up = x->s};
	struct value *c = &x->v->children[x->v->nchildren++];

	vload_at(c, name, t, &es, 0, x->depth + 1);
}

/* Loads the next child from the value's own bytes, at off. */
static void kid_in(struct cx *x, const char *name, const struct ctype *t,
		   uint64_t off)
{
	struct value *c = &x->v->children[x->v->nchildren++];

	vload_at(c, name, t, x->s, x->off + off, x->depth + 1);
}

/* A key and its value (a map's pair<const K, V> at addr), or the one
 * value of a set. */
static void kid_entry(struct cx *x, const struct ctype *vt, uint64_t addr,
		      bool pairs)
{
	const struct ctype_member *k, *m;
	uint64_t ko, mo;

	if (!pairs) {
		kid_at(x, "", vt, addr);
		return;
	}
	k = vcxx_member(vtype_strip(vt), "first", 5, &ko);
	m = vcxx_member(vtype_strip(vt), "second", 6, &mo);
	kid_at(x, "", k->type, addr + ko);
	kid_at(x, "", m->type, addr + mo);
}

/* ---- strings ---- */

static void load_string(struct cx *x)
{
	struct value *v = x->v;
	int max = x->s->cfg->max_string;
	size_t n = max > 0 ? (size_t)max : 0;
	uint64_t p, len;
	char *buf;
	int err;

	if (!word_at(x, x->l.p[0], &p) || !word_at(x, x->l.p[1], &len))
		return;
	if (n > len)
		n = (size_t)len;
	if (n > VALUE_BULK_MAX)
		n = VALUE_BULK_MAX;
	v->kind = VK_STRING;
	v->addr = p;
	free(v->type);
	v->type = xstrdup(x->tname);
	buf = xmalloc(n + 1);
	if (n && (err = x->s->acc->read_mem(x->s->acc->ctx, p, buf, n))) {
		vfail(v, err, p);
		free(buf);
		return;
	}
	v->value = xstrndup(buf, n);
	v->len = (int64_t)len;
	free(buf);
}

/* ---- sequences ---- */

static void load_vector(struct cx *x)
{
	const struct ctype *el = vtype_strip(x->l.elem);
	uint64_t start, finish, end, n, cap;
	size_t k;

	if (!word_at(x, x->l.p[0], &start) || !word_at(x, x->l.p[1], &finish) ||
	    !word_at(x, x->l.p[2], &end))
		return;
	n = finish >= start ? (finish - start) / el->size : 0;
	cap = end >= start ? (end - start) / el->size : 0;
	k = shown(x, n);
	container(x, VK_SLICE,
		  xasprintf("%s of length %" PRIu64 ", capacity %" PRIu64,
			    x->short_name, n, cap),
		  (int64_t)n, k);
	for (size_t i = 0; i < k; i++)
		kid_at(x, "", x->l.elem, start + i * el->size);
}

static void load_array(struct cx *x)
{
	const struct ctype *at = vtype_strip(x->l.t[0]), *el;
	size_t k;

	if (!at || at->kind != CT_ARRAY) { /* std::array<T, 0> */
		container(x, VK_SLICE,
			  xasprintf("%s of length 0", x->short_name), 0, 0);
		return;
	}
	el = vtype_strip(at->target);
	k = shown(x, at->count);
	container(x, VK_SLICE,
		  xasprintf("%s of length %" PRIu64, x->short_name, at->count),
		  (int64_t)at->count, k);
	for (size_t i = 0; i < k; i++)
		kid_in(x, "", at->target, x->l.p[0] + i * el->size);
}

/* A deque iterator's members. */
struct dq_it {
	uint64_t cur, first, last, node;
};

static bool dq_offsets(const struct ctype *it, uint64_t off[4])
{
	static const char *const names[] = {"_M_cur", "_M_first", "_M_last",
					    "_M_node"};

	for (int i = 0; i < 4; i++)
		if (!vcxx_path(it, names[i], &off[i]))
			return false;
	return true;
}

static bool dq_read(struct cx *x, uint64_t base, const uint64_t off[4],
		    struct dq_it *it)
{
	return word_at(x, base + off[0], &it->cur) &&
	       word_at(x, base + off[1], &it->first) &&
	       word_at(x, base + off[2], &it->last) &&
	       word_at(x, base + off[3], &it->node);
}

static bool load_deque(struct cx *x)
{
	const struct ctype *it, *et, *el;
	uint64_t so, fo, ioff[4], esz, bufn, n, cur, last, node;
	struct dq_it s, f;
	size_t k;

	if (!(it = vtype_strip(vcxx_path(x->st, "_M_impl._M_start", &so))) ||
	    !vcxx_path(x->st, "_M_impl._M_finish", &fo) ||
	    !dq_offsets(it, ioff) ||
	    !(et = ptr_target(vcxx_path(it, "_M_cur", &cur))) ||
	    !(el = vtype_strip(et)) || !el->size)
		return false;
	if (!dq_read(x, so, ioff, &s) || !dq_read(x, fo, ioff, &f))
		return true;
	esz = el->size;
	bufn = esz < CXX_DEQUE_BUF ? CXX_DEQUE_BUF / esz : 1;
	n = 0;
	if (f.node >= s.node && f.cur >= f.first && s.last >= s.cur)
		n = ((f.node - s.node) / 8) * bufn -
		    bufn + (f.cur - f.first) / esz + (s.last - s.cur) / esz;
	if (f.node == s.node)
		n = f.cur >= s.cur ? (f.cur - s.cur) / esz : 0;
	k = shown(x, n);
	container(x, VK_SLICE, with_elements(x, n), (int64_t)n, k);
	cur = s.cur, last = s.last, node = s.node;
	for (size_t i = 0; i < k; i++) {
		if (cur == last) {
			node += 8;
			if (mem_word(x, node, &cur))
				break;
			last = cur + bufn * esz;
		}
		kid_at(x, "", et, cur);
		cur += esz;
	}
	return true;
}

/* A guess at t's alignment, which DWARF seldom states: a scalar's size,
 * a struct's largest member's, at most 16. */
static uint64_t align_guess(const struct ctype *t, int depth)
{
	const struct ctype *st = vtype_strip(t);
	uint64_t a = 1;

	if (!st || depth > 8)
		return 8;
	switch (st->kind) {
	case CT_STRUCT:
	case CT_UNION:
		for (size_t i = 0; i < st->nmembers; i++) {
			uint64_t m = align_guess(st->members[i].type, depth + 1);

			if (m > a)
				a = m;
		}
		return a;
	case CT_ARRAY:
		return align_guess(st->target, depth + 1);
	default:
		return st->size > 16 ? 16 : st->size ? st->size : 1;
	}
}

/* std::list: a ring of nodes through its header _M_impl._M_node, each a
 * _List_node_base (_M_next, _M_prev) and then the value, aligned; the new
 * ABI keeps the count in the header's _M_size, the old one is counted
 * round the ring back to the header (which then has to be in memory). */
static bool load_list(struct cx *x)
{
	const struct ctype *et, *el;
	uint64_t ho, no, so, eo, node, n = 0, head;
	bool sized;
	size_t k;

	if (!x->st->ntargs || !(et = x->st->targs[0]) ||
	    !(el = vtype_strip(et)) || !el->size ||
	    !vcxx_path(x->st, "_M_impl._M_node", &ho) ||
	    !vcxx_path(x->st, "_M_impl._M_node._M_next", &no))
		return false;
	sized = vcxx_path(x->st, "_M_impl._M_node._M_size", &so);
	if (!sized && !x->s->mem)
		return false;
	head = x->s->addr + x->off + ho;
	eo = 16;
	if (align_guess(et, 0) > eo)
		eo = align_guess(et, 0);
	if (!word_at(x, no, &node) || (sized && !word_at(x, so, &n)))
		return true;
	if (!sized) {
		uint64_t p = node;

		while (p && p != head && n < CXX_WALK_MAX &&
		       !mem_word(x, p, &p))
			n++;
	}
	k = shown(x, n);
	container(x, VK_SLICE, with_elements(x, n), (int64_t)n, k);
	for (size_t i = 0; i < k && node && node != head; i++) {
		kid_at(x, "", et, node + eo);
		if (mem_word(x, node, &node))
			break;
	}
	return true;
}

/* ---- associative containers ---- */

/* The value type of a map's or set's tree, or an unordered one's
 * hashtable: its second template argument (_Rb_tree<Key, Val, ...>,
 * _Hashtable<Key, Val, ...>). */
static const struct ctype *second_targ(const struct ctype *t)
{
	const struct ctype *st = vtype_strip(t), *vt;

	if (!st || st->ntargs < 2)
		return NULL;
	vt = vtype_strip(st->targs[1]);
	return vt && vt->size ? st->targs[1] : NULL;
}

static bool pair_ok(const struct ctype *vt)
{
	uint64_t o;

	return vcxx_member(vtype_strip(vt), "first", 5, &o) &&
	       vcxx_member(vtype_strip(vt), "second", 6, &o);
}

static bool load_tree(struct cx *x, bool pairs)
{
	const struct ctype *tree, *hdr, *vt;
	uint64_t to, ho, co, po, lo, ro, count, node, nx, up;
	size_t k;

	if (!(tree = vcxx_path(x->st, "_M_t", &to)) ||
	    !(vt = second_targ(tree)) || (pairs && !pair_ok(vt)) ||
	    !(hdr = vtype_strip(vcxx_path(x->st, "_M_t._M_impl._M_header",
					  &ho))) ||
	    !vcxx_path(x->st, "_M_t._M_impl._M_node_count", &co) ||
	    !vcxx_path(hdr, "_M_parent", &po) ||
	    !vcxx_path(hdr, "_M_left", &lo) || !vcxx_path(hdr, "_M_right", &ro))
		return false;
	if (!word_at(x, co, &count) || !word_at(x, ho + lo, &node))
		return true;
	k = shown(x, count);
	container(x, pairs ? VK_MAP : VK_SLICE,
		  with_elements(x, count),
		  (int64_t)count, pairs ? 2 * k : k);
	/* In order: the leftmost node, then _Rb_tree_increment's walk. */
	for (size_t i = 0; i < k && node; i++) {
		kid_entry(x, vt, node + CXX_RB_BASE, pairs);
		if (mem_word(x, node + ro, &nx))
			break;
		if (nx) {
			node = nx;
			for (int d = 0; d < 128; d++) {
				if (mem_word(x, node + lo, &nx) || !nx)
					break;
				node = nx;
			}
			continue;
		}
		if (mem_word(x, node + po, &up))
			break;
		for (int d = 0; d < 128; d++) {
			if (mem_word(x, up + ro, &nx) || nx != node)
				break;
			node = up;
			if (mem_word(x, up + po, &up))
				break;
		}
		node = up;
	}
	return true;
}

static bool load_hash(struct cx *x, bool pairs)
{
	const struct ctype *h, *vt;
	uint64_t ho, bo, co, count, node;
	size_t k;

	if (!(h = vcxx_path(x->st, "_M_h", &ho)) || !(vt = second_targ(h)) ||
	    (pairs && !pair_ok(vt)) ||
	    !vcxx_path(x->st, "_M_h._M_before_begin._M_nxt", &bo) ||
	    !vcxx_path(x->st, "_M_h._M_element_count", &co))
		return false;
	if (!word_at(x, co, &count) || !word_at(x, bo, &node))
		return true;
	k = shown(x, count);
	container(x, pairs ? VK_MAP : VK_SLICE,
		  with_elements(x, count),
		  (int64_t)count, pairs ? 2 * k : k);
	/* _Hash_node: _M_nxt, then the value. */
	for (size_t i = 0; i < k && node; i++) {
		kid_entry(x, vt, node + 8, pairs);
		if (mem_word(x, node, &node))
			break;
	}
	return true;
}

/* ---- smart pointers, optional, tuple, pair ---- */

/* A summary with one child, the pointer at off of type pt, "get()". */
static void pointer_kid(struct cx *x, char *head, const struct ctype *pt,
			uint64_t off)
{
	container(x, VK_STRUCT, head, 1,
		  x->depth > x->s->cfg->max_recurse ? 0 : 1);
	if (x->v->children)
		kid_in(x, "get()", pt, off);
}

static void load_shared(struct cx *x)
{
	uint64_t pi;
	int32_t use = 0, weak = 0;
	char *head;

	if (!word_at(x, x->l.p[1], &pi))
		return;
	if (pi && (x->s->acc->read_mem(x->s->acc->ctx, pi + x->l.p[2], &use,
				       4) ||
		   x->s->acc->read_mem(x->s->acc->ctx, pi + x->l.p[3], &weak,
				       4))) {
		vfail(x->v, -EFAULT, pi);
		return;
	}
	/* As libstdc++'s printer words it: the weak count less the one
	 * the owners hold together. */
	if (!pi)
		head = xasprintf("%s (empty)", x->tname);
	else if (!use)
		head = xasprintf("%s (expired, weak count %d)", x->tname,
				 weak);
	else
		head = xasprintf("%s (use count %d, weak count %d)", x->tname,
				 use, weak - 1);
	pointer_kid(x, head, x->l.t[0], x->l.p[0]);
}

static void load_optional(struct cx *x)
{
	uint64_t where;
	uint8_t engaged;
	int err;

	if ((err = vsrc_read(x->s, x->off + x->l.p[0], &engaged, 1,
			     &where))) {
		vfail(x->v, err, where);
		return;
	}
	if (!engaged) {
		container(x, VK_STRUCT,
			  xasprintf("%s [no contained value]", x->tname), 0, 0);
		return;
	}
	container(x, VK_STRUCT, xstrdup(x->tname), 1,
		  x->depth > x->s->cfg->max_recurse ? 0 : 1);
	if (x->v->children)
		kid_in(x, "[contained value]", x->l.t[1], x->l.p[1]);
}

/* As libstdc++'s printer: "std::variant<int, std::string> [index 1] =
 * {"x"}", or "[no contained value]" when the index is all ones. */
static void load_variant(struct cx *x)
{
	uint64_t idx = 0, none, where;
	size_t isz = x->l.t[0]->size;
	int err;

	if ((err = vsrc_read(x->s, x->off + x->l.p[0], &idx, isz, &where))) {
		vfail(x->v, err, where);
		return;
	}
	none = isz >= 8 ? UINT64_MAX : (1ull << (8 * isz)) - 1;
	if (idx == none) {
		container(x, VK_STRUCT,
			  xasprintf("%s [no contained value]", x->tname), 0, 0);
		return;
	}
	if (idx >= x->l.n) { /* an alternative past those we lay out */
		container(x, VK_STRUCT,
			  xasprintf("%s [index %" PRIu64 "]", x->tname, idx), 0,
			  0);
		return;
	}
	container(x, VK_STRUCT,
		  xasprintf("%s [index %" PRIu64 "]", x->tname, idx), 1,
		  x->depth > x->s->cfg->max_recurse ? 0 : 1);
	if (x->v->children)
		kid_in(x, "", x->l.t[idx + 1], x->l.p[idx + 1]);
}

static void load_tuple(struct cx *x)
{
	size_t k = shown(x, x->l.n);

	container(x, VK_STRUCT,
		  xasprintf("%s containing", x->short_name), (int64_t)x->l.n,
		  k);
	for (size_t i = 0; i < k; i++) {
		char name[16];

		snprintf(name, sizeof(name), "[%zu]", i + 1);
		kid_in(x, name, x->l.t[i], x->l.p[i]);
	}
}

/* A pair is the struct it is, without its empty base. */
static void load_pair(struct cx *x)
{
	struct value *v = x->v;

	free(v->type);
	v->type = xstrdup(x->tname);
	v->len = 2;
	if (x->depth > x->s->cfg->max_recurse)
		return;
	v->children = xcalloc(2, sizeof(*v->children));
	kid_in(x, "first", x->l.t[0], x->l.p[0]);
	kid_in(x, "second", x->l.t[1], x->l.p[1]);
}

/* _Tuple_impl<i, ...> holds element i in its base _Head_base<i, T>. */
static const struct ctype_member *
head_in(const struct ctype *st, size_t i, int depth, uint64_t *off)
{
	if (!st || st->kind != CT_STRUCT || depth < 0)
		return NULL;
	if (is_head_base(st->name, i)) {
		for (size_t j = 0; j < st->nmembers; j++)
			if (!st->members[j].is_base &&
			    !strcmp(st->members[j].name, "_M_head_impl")) {
				*off = st->members[j].offset;
				return &st->members[j];
			}
	}
	for (size_t j = 0; j < st->nmembers; j++) {
		const struct ctype_member *m = &st->members[j], *r;
		uint64_t o;

		if ((r = head_in(vtype_strip(m->type), i, depth - 1, &o))) {
			*off = m->offset + o;
			return r;
		}
	}
	return NULL;
}

static const struct ctype_member *head_impl(const struct ctype *st, size_t i,
					    uint64_t *off)
{
	return head_in(st, i, 8, off);
}

bool vcxx_load(struct value *v, const struct ctype *st, const struct vsrc *s,
	       uint64_t off, int depth)
{
	struct cx x = {.v = v, .st = st, .s = s, .off = off, .depth = depth};
	bool done = true;
	char *lt;

	if (!vcxx_layout(st, &x.l))
		return false;
	x.tname = vcxx_type_name(st->name);
	x.short_name = xstrdup(x.tname);
	if ((lt = strchr(x.short_name, '<')))
		*lt = 0;
	switch (x.l.kind) {
	case VCXX_STRING:
	case VCXX_STRING_VIEW:
		load_string(&x);
		break;
	case VCXX_VECTOR:
		load_vector(&x);
		break;
	case VCXX_ARRAY:
		load_array(&x);
		break;
	case VCXX_DEQUE:
		done = load_deque(&x);
		break;
	case VCXX_TREE:
	case VCXX_TREE_SET:
		done = load_tree(&x, x.l.kind == VCXX_TREE);
		break;
	case VCXX_HASH:
	case VCXX_HASH_SET:
		done = load_hash(&x, x.l.kind == VCXX_HASH);
		break;
	case VCXX_UNIQUE:
		pointer_kid(&x, xstrdup(x.tname), x.l.t[0], x.l.p[0]);
		break;
	case VCXX_SHARED:
		load_shared(&x);
		break;
	case VCXX_OPTIONAL:
		load_optional(&x);
		break;
	case VCXX_TUPLE:
		load_tuple(&x);
		break;
	case VCXX_PAIR:
		load_pair(&x);
		break;
	case VCXX_LIST:
		done = load_list(&x);
		break;
	case VCXX_VARIANT:
		load_variant(&x);
		break;
	case VCXX_NONE:
		done = false;
		break;
	}
	free(x.tname);
	free(x.short_name);
	return done;
}
