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
 * carry VF_CXX, their summary ("std::vector<int> of length 3") in .value,
 * their size in .len and the first elements as children: a map's as key,
 * value, key, value (VK_MAP). Smart pointers and std::optional are a
 * summary and named children ("get()", "[contained value]"); std::pair a
 * plain struct without its empty base. */
#include "value/value.h"

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

enum cxx_kind {
	CXX_NONE,
	CXX_STRING,
	CXX_STRING_VIEW,
	CXX_VECTOR,
	CXX_ARRAY,
	CXX_DEQUE,
	CXX_TREE,  /* map, multimap */
	CXX_TREE_SET, /* set, multiset */
	CXX_HASH,  /* unordered_map, unordered_multimap */
	CXX_HASH_SET,
	CXX_UNIQUE,
	CXX_SHARED, /* shared_ptr, weak_ptr */
	CXX_OPTIONAL,
	CXX_TUPLE,
	CXX_PAIR,
};

static const struct {
	const char *prefix;
	enum cxx_kind kind;
} by_name[] = {
	{"basic_string<char,", CXX_STRING},
	{"basic_string<char>", CXX_STRING},
	{"basic_string_view<char,", CXX_STRING_VIEW},
	{"basic_string_view<char>", CXX_STRING_VIEW},
	{"vector<", CXX_VECTOR},
	{"array<", CXX_ARRAY},
	{"deque<", CXX_DEQUE},
	{"map<", CXX_TREE},
	{"multimap<", CXX_TREE},
	{"set<", CXX_TREE_SET},
	{"multiset<", CXX_TREE_SET},
	{"unordered_map<", CXX_HASH},
	{"unordered_multimap<", CXX_HASH},
	{"unordered_set<", CXX_HASH_SET},
	{"unordered_multiset<", CXX_HASH_SET},
	{"unique_ptr<", CXX_UNIQUE},
	{"shared_ptr<", CXX_SHARED},
	{"weak_ptr<", CXX_SHARED},
	{"optional<", CXX_OPTIONAL},
	{"tuple<", CXX_TUPLE},
	{"pair<", CXX_PAIR},
};

/* The kind the name of struct st says; its members are checked later. */
static enum cxx_kind kind_by_name(const struct ctype *st)
{
	const char *n = st->name;

	if (!n || st->kind != CT_STRUCT)
		return CXX_NONE;
	if (!strncmp(n, "const ", 6))
		n += 6;
	for (size_t i = 0; i < sizeof(by_name) / sizeof(by_name[0]); i++)
		if (!strncmp(n, by_name[i].prefix, strlen(by_name[i].prefix)))
			return by_name[i].kind;
	return CXX_NONE;
}

bool vcxx_known(const struct ctype *st)
{
	return st && kind_by_name(st) != CXX_NONE;
}

/* One value being loaded. */
struct cx {
	struct value *v;
	const struct ctype *st;
	const struct vsrc *s;
	uint64_t off;
	int depth;
	char *tname; /* std::vector<int> */
};

static const struct ctype *ptr_target(const struct ctype *t)
{
	const struct ctype *st = vtype_strip(t);

	if (!st || st->kind != CT_PTR || st->is_ref)
		return NULL;
	return st->target;
}

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

/* The number of elements shown of n: none below max_recurse. */
static size_t shown(const struct cx *x, uint64_t n)
{
	int max = x->s->cfg->max_array;

	if (x->depth > x->s->cfg->max_recurse)
		return 0;
	if (max >= 0 && n > (uint64_t)max)
		n = (uint64_t)max;
	return n > CXX_WALK_MAX ? CXX_WALK_MAX : (size_t)n;
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

static void load_text(struct cx *x, uint64_t p, uint64_t len)
{
	struct value *v = x->v;
	int max = x->s->cfg->max_string;
	size_t n = max > 0 ? (size_t)max : 0;
	char *buf;
	int err;

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

/* std::string: _M_dataplus._M_p and _M_string_length. clang describes
 * std::string only as a declaration (libstdc++ declares it an extern
 * template), so then the new ABI's layout is assumed: the pointer, then
 * the length. */
static bool load_string(struct cx *x)
{
	uint64_t po = 0, lo = 8, p, len;

	if (!x->st->declaration &&
	    (!vcxx_path(x->st, "_M_dataplus._M_p", &po) ||
	     !vcxx_path(x->st, "_M_string_length", &lo)))
		return false;
	if (word_at(x, po, &p) && word_at(x, lo, &len))
		load_text(x, p, len);
	return true;
}

static bool load_string_view(struct cx *x)
{
	uint64_t po, lo, p, len;

	if (!vcxx_path(x->st, "_M_str", &po) ||
	    !vcxx_path(x->st, "_M_len", &lo))
		return false;
	if (word_at(x, po, &p) && word_at(x, lo, &len))
		load_text(x, p, len);
	return true;
}

/* ---- sequences ---- */

static bool load_vector(struct cx *x)
{
	const struct ctype *et, *el;
	uint64_t so, fo, start, finish, n;
	size_t k;

	if (!(et = ptr_target(vcxx_path(x->st, "_M_impl._M_start", &so))) ||
	    !ptr_target(vcxx_path(x->st, "_M_impl._M_finish", &fo)) ||
	    !(el = vtype_strip(et)) || !el->size)
		return false; /* vector<bool>: iterators, not pointers */
	if (!word_at(x, so, &start) || !word_at(x, fo, &finish))
		return true;
	n = finish >= start ? (finish - start) / el->size : 0;
	k = shown(x, n);
	container(x, VK_SLICE,
		  xasprintf("%s of length %" PRIu64, x->tname, n),
		  (int64_t)n, k);
	for (size_t i = 0; i < k; i++)
		kid_at(x, "", et, start + i * el->size);
	return true;
}

static bool load_array(struct cx *x)
{
	const struct ctype *at, *el;
	uint64_t o;
	size_t k;

	if (!(at = vtype_strip(vcxx_path(x->st, "_M_elems", &o))))
		return false;
	if (at->kind != CT_ARRAY) { /* std::array<T, 0> */
		container(x, VK_SLICE, xstrdup(x->tname), 0, 0);
		return true;
	}
	if (!(el = vtype_strip(at->target)) || !el->size)
		return false;
	k = shown(x, at->count);
	container(x, VK_SLICE, xstrdup(x->tname), (int64_t)at->count, k);
	for (size_t i = 0; i < k; i++)
		kid_in(x, "", at->target, o + i * el->size);
	return true;
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
	container(x, VK_SLICE,
		  xasprintf("%s with %" PRIu64 " elements", x->tname, n),
		  (int64_t)n, k);
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
		  xasprintf("%s with %" PRIu64 " elements", x->tname, count),
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
		  xasprintf("%s with %" PRIu64 " elements", x->tname, count),
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
	container(x, VK_STRUCT, head, 1, 1);
	kid_in(x, "get()", pt, off);
}

static bool load_unique(struct cx *x)
{
	const struct ctype_member *m;
	uint64_t o;

	/* unique_ptr's tuple<pointer, deleter>: _Head_base<0, pointer>. */
	if (!(m = vcxx_find(x->st, "_M_head_impl", "_Head_base<0,", &o)) ||
	    !ptr_target(m->type))
		return false;
	pointer_kid(x, xstrdup(x->tname), m->type, o);
	return true;
}

static bool load_shared(struct cx *x)
{
	const struct ctype *pt, *cb;
	uint64_t po, co, uo = 8, wo = 12, pi;
	int32_t use = 0, weak = 0;
	char *head;

	if (!(pt = vcxx_path(x->st, "_M_ptr", &po)) || !ptr_target(pt) ||
	    !(cb = ptr_target(vcxx_path(x->st, "_M_refcount._M_pi", &co))))
		return false;
	cb = vtype_strip(cb);
	if (cb && !cb->declaration &&
	    (!vcxx_path(cb, "_M_use_count", &uo) ||
	     !vcxx_path(cb, "_M_weak_count", &wo)))
		return false;
	if (!word_at(x, co, &pi))
		return true;
	if (pi && (x->s->acc->read_mem(x->s->acc->ctx, pi + uo, &use, 4) ||
		   x->s->acc->read_mem(x->s->acc->ctx, pi + wo, &weak, 4)))
		pi = 0;
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
	pointer_kid(x, head, pt, po);
	return true;
}

static bool load_optional(struct cx *x)
{
	const struct ctype_member *e, *m;
	uint64_t eo, mo;
	uint8_t engaged;

	if (!(e = vcxx_find(x->st, "_M_engaged", NULL, &eo)) ||
	    !(m = vcxx_find(x->st, "_M_value", NULL, &mo)))
		return false;
	{
		uint64_t where;
		int err = vsrc_read(x->s, x->off + eo, &engaged, 1, &where);

		if (err) {
			vfail(x->v, err, where);
			return true;
		}
	}
	if (!engaged) {
		container(x, VK_STRUCT,
			  xasprintf("%s [no contained value]", x->tname), 0, 0);
		return true;
	}
	container(x, VK_STRUCT, xstrdup(x->tname), 1,
		  x->depth > x->s->cfg->max_recurse ? 0 : 1);
	if (x->v->children)
		kid_in(x, "[contained value]", m->type, mo);
	return true;
}

/* _Tuple_impl<i, ...> holds element i in its base _Head_base<i, T>. */
static bool load_tuple(struct cx *x)
{
	const struct ctype_member *m[16];
	uint64_t off[16];
	size_t n = 0, k;

	for (; n < 16; n++) {
		char pre[32];

		snprintf(pre, sizeof(pre), "_Head_base<%zu,", n);
		if (!(m[n] = vcxx_find(x->st, "_M_head_impl", pre, &off[n])))
			break;
	}
	k = shown(x, n);
	container(x, VK_STRUCT, xstrdup(x->tname), (int64_t)n, k);
	for (size_t i = 0; i < k; i++) {
		char name[16];

		snprintf(name, sizeof(name), "[%zu]", i + 1);
		kid_in(x, name, m[i]->type, off[i]);
	}
	return true;
}

static bool load_pair(struct cx *x)
{
	const struct ctype_member *a, *b;
	uint64_t ao, bo;
	struct value *v = x->v;

	if (!(a = vcxx_member(x->st, "first", 5, &ao)) ||
	    !(b = vcxx_member(x->st, "second", 6, &bo)))
		return false;
	free(v->type);
	v->type = xstrdup(x->tname);
	v->len = 2;
	if (x->depth > x->s->cfg->max_recurse)
		return true;
	v->children = xcalloc(2, sizeof(*v->children));
	kid_in(x, "first", a->type, ao);
	kid_in(x, "second", b->type, bo);
	return true;
}

bool vcxx_load(struct value *v, const struct ctype *st, const struct vsrc *s,
	       uint64_t off, int depth)
{
	struct cx x = {.v = v, .st = st, .s = s, .off = off, .depth = depth};
	enum cxx_kind kind = kind_by_name(st);
	bool done = false;

	if (kind == CXX_NONE || (st->declaration && kind != CXX_STRING))
		return false;
	x.tname = vcxx_type_name(st->name);
	switch (kind) {
	case CXX_STRING:
		done = load_string(&x);
		break;
	case CXX_STRING_VIEW:
		done = load_string_view(&x);
		break;
	case CXX_VECTOR:
		done = load_vector(&x);
		break;
	case CXX_ARRAY:
		done = load_array(&x);
		break;
	case CXX_DEQUE:
		done = load_deque(&x);
		break;
	case CXX_TREE:
	case CXX_TREE_SET:
		done = load_tree(&x, kind == CXX_TREE);
		break;
	case CXX_HASH:
	case CXX_HASH_SET:
		done = load_hash(&x, kind == CXX_HASH);
		break;
	case CXX_UNIQUE:
		done = load_unique(&x);
		break;
	case CXX_SHARED:
		done = load_shared(&x);
		break;
	case CXX_OPTIONAL:
		done = load_optional(&x);
		break;
	case CXX_TUPLE:
		done = load_tuple(&x);
		break;
	case CXX_PAIR:
		done = load_pair(&x);
		break;
	case CXX_NONE:
		break;
	}
	free(x.tname);
	return done;
}
