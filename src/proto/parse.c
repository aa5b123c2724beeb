/* parse: ltrace's prototype language, one statement a line:
 *
 *   long strlen(string);            ; a comment
 *   typedef fd = int;
 *   int open(string, flags(O_RDONLY=0/3, O_CLOEXEC=02000000), ...);
 *
 * into prototypes whose types are ctypes, so the value layer prints them as
 * it prints DWARF's. Recursive descent over one line; a construct we do not
 * model makes its statement skipped (counted by the caller). */
#include "proto/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"

struct cursor {
	struct proto_set *set;
	const char *p, *end;
	bool variadic; /* a `format` parameter seen: the rest is untyped */
};

/* The void type: a marker, never handed out as a param's type. */
static const struct ctype void_type = {.kind = CT_VOID, .name = "void"};

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && isspace((unsigned char)*c->p))
		c->p++;
}

static bool eat(struct cursor *c, char ch)
{
	skip_ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

static size_t ident(struct cursor *c, const char **out)
{
	const char *s;

	skip_ws(c);
	s = c->p;
	while (c->p < c->end &&
	       (isalnum((unsigned char)*c->p) || *c->p == '_'))
		c->p++;
	*out = s;
	return (size_t)(c->p - s);
}

static bool is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && !memcmp(s, word, n);
}

/* A C integer literal (decimal, 0x hex, 0 octal, a sign). */
static bool number(struct cursor *c, long long *out)
{
	char buf[40], *e;
	size_t n = 0;

	skip_ws(c);
	while (c->p + n < c->end && n < sizeof(buf) - 1 &&
	       (isalnum((unsigned char)c->p[n]) || c->p[n] == '-'))
		n++;
	if (!n)
		return false;
	memcpy(buf, c->p, n);
	buf[n] = 0;
	*out = strtoll(buf, &e, 0);
	if (*e) {
		/* Beyond LLONG_MAX: the unsigned reading. */
		*out = (long long)strtoull(buf, &e, 0);
		if (*e)
			return false;
	}
	c->p += n;
	return true;
}

/* Skips a balanced (...) or [...] whose opener is next. */
static bool skip_group(struct cursor *c, char open, char close)
{
	int depth = 0;

	if (!eat(c, open))
		return false;
	depth = 1;
	while (c->p < c->end && depth) {
		if (*c->p == open)
			depth++;
		else if (*c->p == close)
			depth--;
		c->p++;
	}
	return !depth;
}

static struct ctype *new_type(struct cursor *c, enum ctype_kind k,
			      const char *name, uint64_t size, bool is_signed)
{
	struct ctype *t = proto_alloc(c->set, sizeof(*t));

	t->kind = k;
	t->name = proto_strndup(c->set, name, strlen(name));
	t->size = size;
	t->is_signed = is_signed;
	return t;
}

static const struct ctype *int_type(struct cursor *c, const char *name,
				    uint64_t size, bool is_signed)
{
	return new_type(c, CT_INT, name, size, is_signed);
}

static const struct ctype *ptr_to(struct cursor *c, const struct ctype *to,
				  const char *name)
{
	struct ctype *t;
	char *n = NULL;

	if (!name) {
		n = xasprintf("%s *", to ? to->name : "void");
		name = n;
	}
	t = new_type(c, CT_PTR, name, 8, false);
	t->target = to;
	free(n);
	return t;
}

static const struct ctype *parse_type(struct cursor *c);

/* A copy of an integer type printed in another base: hex(uint). */
static const struct ctype *in_base(struct cursor *c, enum ctype_fmt fmt)
{
	const struct ctype *in;
	struct ctype *t;

	if (!eat(c, '('))
		return NULL;
	in = parse_type(c);
	if (!in || !eat(c, ')') ||
	    (in->kind != CT_INT && in->kind != CT_CHAR && in->kind != CT_ENUM))
		return NULL;
	t = proto_alloc(c->set, sizeof(*t));
	*t = *in;
	t->kind = CT_INT;
	t->fmt = (uint8_t)fmt;
	return t;
}

/* enum[T](A=1, B, C=4) and, ours, flags(A=1, B=2/3). */
static const struct ctype *enum_type(struct cursor *c, bool flags)
{
	VEC(struct ctype_enumerator) list = {0};
	const struct ctype *base = NULL;
	struct ctype *t;
	long long next = 0;

	if (eat(c, '[')) {
		base = parse_type(c);
		if (!base || !eat(c, ']'))
			return NULL;
	}
	if (!eat(c, '('))
		return NULL;
	do {
		struct ctype_enumerator en = {0};
		const char *n;
		size_t len = ident(c, &n);
		long long v = next, m = 0;

		if (!len)
			break;
		if (eat(c, '=') && !number(c, &v))
			goto bad;
		if (flags && eat(c, '/') && !number(c, &m))
			goto bad;
		en.name = proto_strndup(c->set, n, len);
		en.value = v;
		en.mask = (uint64_t)m;
		VEC_PUSH(&list, en);
		next = v + 1;
	} while (eat(c, ','));
	if (!eat(c, ')') || !list.len)
		goto bad;
	t = new_type(c, CT_ENUM, "int", base ? base->size : 4,
		     base ? base->is_signed : true);
	t->fmt = flags ? CTF_FLAGS : CTF_DEFAULT;
	t->nenums = list.len;
	t->enums = proto_alloc(c->set, list.len * sizeof(*t->enums));
	memcpy(t->enums, list.items, list.len * sizeof(*t->enums));
	VEC_FREE(&list);
	return t;
bad:
	VEC_FREE(&list);
	return NULL;
}

/* One type, pointers included; NULL when it is not one we model.
 * &void_type for void. */
static const struct ctype *parse_type(struct cursor *c)
{
	const struct proto_typedef *td;
	const struct ctype *t = NULL;
	const char *w;
	size_t n;

	eat(c, '+'); /* an out-parameter: shown as it is at the entry */
	n = ident(c, &w);
	if (!n)
		return NULL;
	if (is(w, n, "void"))
		t = &void_type;
	else if (is(w, n, "char"))
		t = new_type(c, CT_CHAR, "char", 1, true);
	else if (is(w, n, "short"))
		t = int_type(c, "short", 2, true);
	else if (is(w, n, "ushort"))
		t = int_type(c, "unsigned short", 2, false);
	else if (is(w, n, "int"))
		t = int_type(c, "int", 4, true);
	else if (is(w, n, "uint"))
		t = int_type(c, "unsigned int", 4, false);
	else if (is(w, n, "long"))
		t = int_type(c, "long", 8, true);
	else if (is(w, n, "ulong"))
		t = int_type(c, "unsigned long", 8, false);
	else if (is(w, n, "float"))
		t = new_type(c, CT_FLOAT, "float", 4, true);
	else if (is(w, n, "double"))
		t = new_type(c, CT_FLOAT, "double", 8, true);
	else if (is(w, n, "bool")) {
		const struct ctype *in = &void_type;

		if (c->p < c->end && *c->p == '(' &&
		    (!eat(c, '(') || !(in = parse_type(c)) || !eat(c, ')')))
			return NULL;
		t = new_type(c, CT_BOOL, "bool",
			     in != &void_type ? in->size : 4, false);
	} else if (is(w, n, "addr"))
		t = ptr_to(c, NULL, "void *");
	else if (is(w, n, "file"))
		t = ptr_to(c, NULL, "FILE *");
	else if (is(w, n, "format")) {
		t = ptr_to(c, new_type(c, CT_CHAR, "char", 1, true),
			   "const char *");
		c->variadic = true;
	} else if (n >= 6 && !memcmp(w, "string", 6)) {
		/* string, stringN, string[N], string[argN]: the length is
		 * the load config's, as for any C string. */
		for (size_t i = 6; i < n; i++)
			if (!isdigit((unsigned char)w[i]))
				return NULL;
		if (c->p < c->end && *c->p == '[' && !skip_group(c, '[', ']'))
			return NULL;
		t = ptr_to(c, new_type(c, CT_CHAR, "char", 1, true), "char *");
	} else if (is(w, n, "octal")) {
		struct ctype *o;

		if (c->p < c->end && *c->p == '(')
			return in_base(c, CTF_OCTAL);
		o = new_type(c, CT_INT, "unsigned int", 4, false);
		o->fmt = CTF_OCTAL;
		t = o;
	} else if (is(w, n, "oct"))
		t = in_base(c, CTF_OCTAL);
	else if (is(w, n, "hex"))
		t = in_base(c, CTF_HEX);
	else if (is(w, n, "enum"))
		t = enum_type(c, false);
	else if (is(w, n, "flags"))
		t = enum_type(c, true);
	else if ((td = proto_typedef_find(c->set, w, n)))
		t = td->type ? td->type : &void_type;
	if (!t)
		return NULL; /* struct, array, lens, an unknown name */
	while (eat(c, '*'))
		t = ptr_to(c, t == &void_type ? NULL : t, NULL);
	return t;
}

/* `typedef NAME = TYPE` (the ';' is the caller's). */
static bool parse_typedef(struct cursor *c)
{
	const struct ctype *t;
	const char *n;
	size_t len = ident(c, &n);

	if (!len || !eat(c, '=') || !(t = parse_type(c)))
		return false;
	proto_typedef_add(c->set, n, len, t == &void_type ? NULL : t);
	return true;
}

/* `RET NAME(PARAM, ...)`: adds the prototype. */
static bool parse_proto(struct cursor *c, bool keep_old)
{
	VEC(const struct ctype *) types = {0};
	VEC(const char *) names = {0};
	const struct ctype *ret = parse_type(c);
	struct proto *p;
	const char *n;
	size_t len;
	bool variadic = false;

	c->variadic = false; /* a returned format is not one */
	if (!ret || !(len = ident(c, &n)) || !eat(c, '('))
		return false;
	p = proto_alloc(c->set, sizeof(*p));
	p->name = proto_strndup(c->set, n, len);
	p->ret = ret == &void_type ? NULL : ret;
	skip_ws(c);
	if (!eat(c, ')')) {
		do {
			const struct ctype *t;
			const char *pn;
			size_t plen;

			skip_ws(c);
			if (c->end - c->p >= 3 && !memcmp(c->p, "...", 3)) {
				c->p += 3;
				variadic = true;
				break;
			}
			if (!(t = parse_type(c)) || t == &void_type) {
				/* `f(void)` is no parameters. */
				if (t == &void_type && !types.len &&
				    eat(c, ')'))
					goto done;
				goto bad;
			}
			plen = ident(c, &pn);
			VEC_PUSH(&types, t);
			VEC_PUSH(&names, plen ? proto_strndup(c->set, pn, plen)
					      : NULL);
		} while (eat(c, ','));
		if (!eat(c, ')'))
			goto bad;
	}
done:
	p->nparams = types.len;
	p->params = proto_alloc(c->set, (types.len + 1) * sizeof(*p->params));
	p->names = proto_alloc(c->set, (types.len + 1) * sizeof(*p->names));
	for (size_t i = 0; i < types.len; i++) {
		char buf[24];

		p->params[i] = types.items[i];
		snprintf(buf, sizeof(buf), "arg%zu", i + 1);
		p->names[i] = names.items[i]
				      ? names.items[i]
				      : proto_strndup(c->set, buf, strlen(buf));
	}
	p->variadic = variadic || c->variadic;
	VEC_FREE(&types);
	VEC_FREE(&names);
	proto_set_add(c->set, p, keep_old);
	return true;
bad:
	VEC_FREE(&types);
	VEC_FREE(&names);
	return false;
}

/* One line: a comment, a blank, or one statement up to its ';' (the rest
 * of the line is a comment, as ltrace reads it). */
static bool parse_line(struct proto_set *s, const char *p, const char *end,
		       bool keep_old)
{
	struct cursor c = {.set = s, .p = p, .end = end};
	const char *w, *save;
	size_t n;

	skip_ws(&c);
	if (c.p >= c.end || *c.p == ';' || *c.p == '#')
		return true;
	save = c.p;
	n = ident(&c, &w);
	if (is(w, n, "typedef")) {
		if (!parse_typedef(&c))
			return false;
	} else {
		c.p = save;
		if (!parse_proto(&c, keep_old))
			return false;
	}
	/* What follows must end the statement. */
	skip_ws(&c);
	return c.p >= c.end || *c.p == ';';
}

size_t proto_set_parse(struct proto_set *s, const char *text, bool keep_old)
{
	size_t skipped = 0;

	while (*text) {
		const char *nl = strchr(text, '\n');
		const char *end = nl ? nl : text + strlen(text);

		if (!parse_line(s, text, end, keep_old))
			skipped++;
		text = nl ? nl + 1 : end;
	}
	return skipped;
}
