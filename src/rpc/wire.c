#include "rpc/wire.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/xalloc.h"

/* ---- field readers ---- */

/* The JSON name of what came, as Go's encoding/json says it. */
static const char *wire_jtype(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "bool";
	case json_type_double:
	case json_type_int: return "number";
	case json_type_string: return "string";
	case json_type_array: return "array";
	case json_type_object: return "object";
	}
	return "value";
}

static int wire_bad(struct errbuf *eb, struct json_object *v, const char *key,
		    const char *want)
{
	return errbuf_set(eb, -EINVAL,
			  "json: cannot unmarshal %s into field \"%s\" of type %s",
			  wire_jtype(v), key, want);
}

/* Looks key up in o. Returns 1 with *v when present and not null, 0 when
 * absent or null (Go leaves the field alone then), or -EINVAL when o itself
 * is not an object. */
static int wire_field(struct json_object *o, const char *key,
		      struct json_object **v, struct errbuf *eb)
{
	*v = NULL;
	if (!o)
		return 0;
	if (!json_object_is_type(o, json_type_object))
		return errbuf_set(eb, -EINVAL,
				  "json: cannot unmarshal %s into an object with field \"%s\"",
				  wire_jtype(o), key);
	if (!json_object_object_get_ex(o, key, v) || !*v)
		return 0;
	return 1;
}

int wire_get_bool(struct json_object *o, const char *key, bool *out,
		  struct errbuf *eb)
{
	struct json_object *v;
	int r = wire_field(o, key, &v, eb);

	if (r <= 0)
		return r;
	if (!json_object_is_type(v, json_type_boolean))
		return wire_bad(eb, v, key, "bool");
	*out = json_object_get_boolean(v);
	return 0;
}

/* A signed integer field, in [min, max]; want names the Go type. */
static int wire_get_signed(struct json_object *o, const char *key,
			   int64_t *out, int64_t min, int64_t max,
			   const char *want, struct errbuf *eb)
{
	struct json_object *v;
	int r = wire_field(o, key, &v, eb);
	int64_t i;

	if (r <= 0)
		return r;
	if (!json_object_is_type(v, json_type_int))
		return wire_bad(eb, v, key, want);
	/* json-c keeps integers above INT64_MAX as uint64 and clamps them
	 * when read as int64: tell the two apart. */
	i = json_object_get_int64(v);
	if ((i == INT64_MAX &&
	     json_object_get_uint64(v) > (uint64_t)INT64_MAX) ||
	    i < min || i > max)
		return errbuf_set(eb, -EINVAL,
				  "json: number out of range for field \"%s\"",
				  key);
	*out = i;
	return 1;
}

int wire_get_i64(struct json_object *o, const char *key, int64_t *out,
		 struct errbuf *eb)
{
	int r = wire_get_signed(o, key, out, INT64_MIN, INT64_MAX, "int64", eb);

	return r < 0 ? r : 0;
}

int wire_get_int(struct json_object *o, const char *key, int *out,
		 struct errbuf *eb)
{
	int64_t i;
	int r = wire_get_signed(o, key, &i, INT_MIN, INT_MAX, "int", eb);

	if (r > 0)
		*out = (int)i;
	return r < 0 ? r : 0;
}

int wire_get_u64(struct json_object *o, const char *key, uint64_t *out,
		 struct errbuf *eb)
{
	struct json_object *v;
	int r = wire_field(o, key, &v, eb);

	if (r <= 0)
		return r;
	if (!json_object_is_type(v, json_type_int))
		return wire_bad(eb, v, key, "uint64");
	if (json_object_get_int64(v) < 0)
		return errbuf_set(eb, -EINVAL,
				  "json: number out of range for field \"%s\"",
				  key);
	*out = json_object_get_uint64(v);
	return 0;
}

int wire_get_str(struct json_object *o, const char *key, char **out,
		 struct errbuf *eb)
{
	struct json_object *v;
	int r = wire_field(o, key, &v, eb);

	if (r <= 0)
		return r;
	if (!json_object_is_type(v, json_type_string))
		return wire_bad(eb, v, key, "string");
	free(*out);
	*out = xstrndup(json_object_get_string(v),
			(size_t)json_object_get_string_len(v));
	return 0;
}

int wire_get_obj(struct json_object *o, const char *key,
		 struct json_object **out, struct errbuf *eb)
{
	struct json_object *v;
	int r = wire_field(o, key, &v, eb);

	*out = NULL;
	if (r <= 0)
		return r;
	if (!json_object_is_type(v, json_type_object))
		return wire_bad(eb, v, key, "object");
	*out = v;
	return 0;
}

/* Finds array field key: 1 with *arr, 0 when missing or null. */
static int wire_get_arr(struct json_object *o, const char *key,
			struct json_object **arr, const char *want,
			struct errbuf *eb)
{
	int r = wire_field(o, key, arr, eb);

	if (r <= 0)
		return r;
	if (!json_object_is_type(*arr, json_type_array))
		return wire_bad(eb, *arr, key, want);
	return 1;
}

int wire_get_u64_array(struct json_object *o, const char *key,
		       uint64_t **out, size_t *n, struct errbuf *eb)
{
	struct json_object *arr;
	uint64_t *a = NULL;
	size_t len, i;
	int r;

	*out = NULL;
	*n = 0;
	r = wire_get_arr(o, key, &arr, "[]uint64", eb);
	if (r <= 0)
		return r;
	len = json_object_array_length(arr);
	if (len)
		a = xcalloc(len, sizeof(*a));
	for (i = 0; i < len; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(e, json_type_int) ||
		    json_object_get_int64(e) < 0) {
			free(a);
			return wire_bad(eb, e, key, "[]uint64");
		}
		a[i] = json_object_get_uint64(e);
	}
	*out = a;
	*n = len;
	return 0;
}

int wire_get_str_array(struct json_object *o, const char *key, char ***out,
		       size_t *n, struct errbuf *eb)
{
	struct json_object *arr;
	char **a = NULL;
	size_t len, i;
	int r;

	*out = NULL;
	*n = 0;
	r = wire_get_arr(o, key, &arr, "[]string", eb);
	if (r <= 0)
		return r;
	len = json_object_array_length(arr);
	if (len)
		a = xcalloc(len, sizeof(*a));
	for (i = 0; i < len; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(e, json_type_string)) {
			while (i--)
				free(a[i]);
			free(a);
			return wire_bad(eb, e, key, "[]string");
		}
		a[i] = xstrndup(json_object_get_string(e),
				(size_t)json_object_get_string_len(e));
	}
	*out = a;
	*n = len;
	return 0;
}

/* ---- builders ---- */

struct json_object *wire_str(const char *s)
{
	return json_object_new_string(s ? s : "");
}

struct json_object *wire_u64_array(const uint64_t *a, size_t n)
{
	struct json_object *arr = json_object_new_array_ext((int)n);

	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_uint64(a[i]));
	return arr;
}

struct json_object *wire_str_array(char *const *a, size_t n)
{
	struct json_object *arr = json_object_new_array_ext((int)n);

	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, wire_str(a[i]));
	return arr;
}

/* Every key we add is a string literal, added once: tell json-c, so that it
 * neither copies the key nor looks for an old entry (events are encoded by
 * the hundred thousand). */
static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add_ex(o, key, v,
				  JSON_C_OBJECT_ADD_KEY_IS_NEW |
					  JSON_C_OBJECT_KEY_IS_CONSTANT);
}

static void add_str(struct json_object *o, const char *key, const char *s)
{
	add(o, key, wire_str(s));
}

static void add_int(struct json_object *o, const char *key, int64_t i)
{
	add(o, key, json_object_new_int64(i));
}

static void add_u64(struct json_object *o, const char *key, uint64_t u)
{
	add(o, key, json_object_new_uint64(u));
}

static void add_bool(struct json_object *o, const char *key, bool b)
{
	add(o, key, json_object_new_boolean(b));
}

/* ---- api.Breakpoint ---- */

/* Delve's ShortLoadConfig, what `dlv trace` asks for by default (-v 0). */
static const struct api_load_config wire_short_load = {
	.max_string_len = 64,
	.max_struct_fields = 3,
};

static bool load_config_zero(const struct api_load_config *c)
{
	return !c->follow_pointers && !c->max_variable_recurse &&
	       !c->max_string_len && !c->max_array_values &&
	       !c->max_struct_fields;
}

static struct json_object *wire_load_config(const struct api_load_config *c)
{
	struct json_object *o = json_object_new_object();

	if (load_config_zero(c))
		c = &wire_short_load;
	add_bool(o, "FollowPointers", c->follow_pointers);
	add_int(o, "MaxVariableRecurse", c->max_variable_recurse);
	add_int(o, "MaxStringLen", c->max_string_len);
	add_int(o, "MaxArrayValues", c->max_array_values);
	add_int(o, "MaxStructFields", c->max_struct_fields);
	return o;
}

/* An empty config ("LoadArgs":{}) stays all zero: the short one. */
static int wire_load_config_from_json(struct json_object *o,
				      struct api_load_config *c,
				      struct errbuf *eb)
{
	int err;

	if ((err = wire_get_bool(o, "FollowPointers", &c->follow_pointers,
				 eb)) ||
	    (err = wire_get_int(o, "MaxVariableRecurse",
				&c->max_variable_recurse, eb)) ||
	    (err = wire_get_int(o, "MaxStringLen", &c->max_string_len, eb)) ||
	    (err = wire_get_int(o, "MaxArrayValues", &c->max_array_values,
				eb)) ||
	    (err = wire_get_int(o, "MaxStructFields", &c->max_struct_fields,
				eb)))
		return err;
	return 0;
}

struct json_object *wire_breakpoint_to_json(const struct api_breakpoint *bp)
{
	struct json_object *o = json_object_new_object();

	add_int(o, "id", bp->id);
	add_str(o, "name", bp->name);
	add_u64(o, "addr", bp->addr);
	add(o, "addrs", bp->naddrs ? wire_u64_array(bp->addrs, bp->naddrs)
				   : NULL);
	add(o, "addrpid", NULL);
	add_str(o, "file", bp->file);
	add_int(o, "line", bp->line);
	if (bp->function_name && *bp->function_name)
		add_str(o, "functionName", bp->function_name);
	add_str(o, "ExprString", "");
	add_str(o, "Cond", "");
	add_str(o, "HitCond", "");
	add_bool(o, "HitCondPerG", false);
	add_bool(o, "continue", bp->tracepoint);
	add_bool(o, "traceReturn", bp->trace_return);
	add_bool(o, "goroutine", false);
	add_int(o, "stacktrace", bp->stacktrace);
	add(o, "LoadArgs", bp->load_args ? wire_load_config(&bp->load_cfg) : NULL);
	add(o, "LoadLocals", NULL);
	add_str(o, "WatchExpr", "");
	add_int(o, "WatchType", 0);
	add(o, "hitCount", json_object_new_object());
	add_u64(o, "totalHitCount", 0);
	add_bool(o, "disabled", false);
	add_str(o, "RootFuncName", bp->root_func_name);
	add_int(o, "TraceFollowCalls", bp->trace_follow_calls);
	return o;
}

int wire_breakpoint_from_json(struct json_object *o, struct api_breakpoint *bp,
			      struct errbuf *eb)
{
	struct json_object *load = NULL;
	int err;

	memset(bp, 0, sizeof(*bp));
	if ((err = wire_get_int(o, "id", &bp->id, eb)) ||
	    (err = wire_get_str(o, "name", &bp->name, eb)) ||
	    (err = wire_get_u64(o, "addr", &bp->addr, eb)) ||
	    (err = wire_get_u64_array(o, "addrs", &bp->addrs, &bp->naddrs,
				      eb)) ||
	    (err = wire_get_str(o, "file", &bp->file, eb)) ||
	    (err = wire_get_int(o, "line", &bp->line, eb)) ||
	    (err = wire_get_str(o, "functionName", &bp->function_name, eb)) ||
	    (err = wire_get_bool(o, "continue", &bp->tracepoint, eb)) ||
	    (err = wire_get_bool(o, "traceReturn", &bp->trace_return, eb)) ||
	    (err = wire_get_int(o, "stacktrace", &bp->stacktrace, eb)) ||
	    (err = wire_get_obj(o, "LoadArgs", &load, eb)) ||
	    (err = wire_get_int(o, "TraceFollowCalls", &bp->trace_follow_calls,
				eb)) ||
	    (err = wire_get_str(o, "RootFuncName", &bp->root_func_name, eb)) ||
	    (load && (err = wire_load_config_from_json(load, &bp->load_cfg,
						       eb)))) {
		api_breakpoint_release(bp);
		return err;
	}
	bp->load_args = load != NULL;
	return 0;
}

/* ---- api.Variable ---- */

/* Delve's VariableFlags is a uint16: bits above travel in "tinydbgFlags". */
#define WIRE_DELVE_FLAGS 0xffffu

struct json_object *wire_value_to_json(const struct value *v)
{
	struct json_object *o = json_object_new_object();

	/* Zero fields are left out (a Go decoder reads them as zero): a trace
	 * sends one Variable per argument per call, and most are scalars. */
	add_str(o, "name", v->name);
	if (v->addr)
		add_u64(o, "addr", v->addr);
	add_str(o, "type", v->type);
	add_str(o, "realType", v->type);
	if (v->flags & WIRE_DELVE_FLAGS)
		add_int(o, "flags", v->flags & WIRE_DELVE_FLAGS);
	add_int(o, "kind", v->kind);
	if (v->value)
		add_str(o, "value", v->value);
	if (v->len)
		add_int(o, "len", v->len);
	if (v->cap)
		add_int(o, "cap", v->cap);
	if (v->nchildren) {
		struct json_object *kids =
			json_object_new_array_ext((int)v->nchildren);
		for (size_t i = 0; i < v->nchildren; i++)
			json_object_array_add(kids,
					      wire_value_to_json(&v->children[i]));
		add(o, "children", kids);
	}
	if (v->unreadable)
		add_str(o, "unreadable", v->unreadable);
	if (v->flags & ~WIRE_DELVE_FLAGS)
		add_u64(o, "tinydbgFlags", v->flags & ~WIRE_DELVE_FLAGS);
	return o;
}

/* What wire_value_from_json filled is freed by value_release: the decoder
 * leaves plain zeroes behind on failure. */
#define wire_value_undo value_release

/* Decodes array field key of o into a malloc'd array of values. */
static int wire_values_from_json(struct json_object *o, const char *key,
				 struct value **out, size_t *n,
				 struct errbuf *eb)
{
	struct json_object *arr;
	struct value *a = NULL;
	size_t len, i;
	int r;

	*out = NULL;
	*n = 0;
	r = wire_get_arr(o, key, &arr, "[]Variable", eb);
	if (r <= 0)
		return r;
	len = json_object_array_length(arr);
	if (len)
		a = xcalloc(len, sizeof(*a));
	for (i = 0; i < len; i++) {
		r = wire_value_from_json(json_object_array_get_idx(arr, i),
					 &a[i], eb);
		if (r) {
			while (i--)
				wire_value_undo(&a[i]);
			free(a);
			return errbuf_prefix(eb, r, "%s[%zu]", key, i);
		}
	}
	*out = a;
	*n = len;
	return 0;
}

int wire_value_from_json(struct json_object *o, struct value *v,
			 struct errbuf *eb)
{
	uint64_t xflags = 0, flags = 0;
	int kind = 0, err;

	memset(v, 0, sizeof(*v));
	if ((err = wire_get_str(o, "name", &v->name, eb)) ||
	    (err = wire_get_str(o, "realType", &v->type, eb)) ||
	    (err = wire_get_str(o, "type", &v->type, eb)) ||
	    (err = wire_get_int(o, "kind", &kind, eb)) ||
	    (err = wire_get_u64(o, "flags", &flags, eb)) ||
	    (err = wire_get_u64(o, "tinydbgFlags", &xflags, eb)) ||
	    (err = wire_get_u64(o, "addr", &v->addr, eb)) ||
	    (err = wire_get_str(o, "value", &v->value, eb)) ||
	    (err = wire_get_i64(o, "len", &v->len, eb)) ||
	    (err = wire_get_i64(o, "cap", &v->cap, eb)) ||
	    (err = wire_get_str(o, "unreadable", &v->unreadable, eb)) ||
	    (err = wire_values_from_json(o, "children", &v->children,
					 &v->nchildren, eb))) {
		wire_value_undo(v);
		return err;
	}
	v->kind = kind >= VK_INVALID && kind <= VK_UNSAFEPTR ? (enum vkind)kind
							    : VK_INVALID;
	v->flags = (uint32_t)((flags & WIRE_DELVE_FLAGS) |
			      (xflags & ~(uint64_t)WIRE_DELVE_FLAGS));
	/* Go has no NULL string: "" means "no text", except for a string,
	 * where it is the (empty) text. */
	if (v->value && !*v->value && v->kind != VK_STRING) {
		free(v->value);
		v->value = NULL;
	}
	if (v->unreadable && !*v->unreadable) {
		free(v->unreadable);
		v->unreadable = NULL;
	}
	return 0;
}

/* ---- api.TracepointResult ---- */

static struct json_object *wire_frame_to_json(const struct api_frame *f)
{
	struct json_object *o = json_object_new_object();

	add_u64(o, "pc", f->pc);
	if (f->function) {
		struct json_object *fn = json_object_new_object();

		add_str(fn, "name", f->function);
		add(o, "function", fn);
	}
	add_str(o, "file", f->file);
	add_int(o, "line", f->line);
	if (f->inlined)
		add_int(o, "tinydbgInlined", f->inlined);
	return o;
}

static int wire_frame_from_json(struct json_object *o, struct api_frame *f,
				struct errbuf *eb)
{
	struct json_object *fn = NULL;
	int err;

	memset(f, 0, sizeof(*f));
	if ((err = wire_get_u64(o, "pc", &f->pc, eb)) ||
	    (err = wire_get_obj(o, "function", &fn, eb)) ||
	    (err = wire_get_str(fn, "name", &f->function, eb)) ||
	    (err = wire_get_str(o, "file", &f->file, eb)) ||
	    (err = wire_get_int(o, "line", &f->line, eb)) ||
	    (err = wire_get_int(o, "tinydbgInlined", &f->inlined, eb))) {
		api_frame_release(f);
		return err;
	}
	return 0;
}

static void wire_add_values(struct json_object *o, const char *key,
			    const struct value *a, size_t n)
{
	struct json_object *arr;

	/* omitempty, as Delve does for inputParams/returnParams. */
	if (!n)
		return;
	arr = json_object_new_array_ext((int)n);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, wire_value_to_json(&a[i]));
	add(o, key, arr);
}

/* ---- frame tables ----
 *
 * A batch of events from a loop carries the same frames over and over:
 * with "tinydbgFrameTable" in its request, a GetBufferedTracepoints
 * answer lists each frame once ("tinydbgFrames") and events name theirs
 * by index ("tinydbgStack"), which cuts what both ends encode and parse
 * per event. Delve's clients do not ask, and get Delve's "stacktrace". */
struct wire_frames;
static struct json_object *
wire_tracepoint_result_to_json_ft(const struct api_tracepoint_result *r,
				  struct wire_frames *ft);
static int wire_tracepoint_result_from_json_ft(struct json_object *o,
					       struct api_tracepoint_result *r,
					       const struct api_frame *frames,
					       size_t nframes,
					       struct errbuf *eb);

struct wire_frames {
	struct json_object *arr;
	uint64_t *pcs;  /* open addressing: pc + 1, 0 empty */
	int *lvls;      /* with pcs[i], the key: a pc holds a frame per
	                 * inlined call (api_frame.inlined) */
	int *idx;
	size_t cap, n;
};

static struct wire_frames *wire_frames_new(void)
{
	struct wire_frames *ft = xcalloc(1, sizeof(*ft));

	ft->arr = json_object_new_array();
	ft->cap = 64;
	ft->pcs = xcalloc(ft->cap, sizeof(*ft->pcs));
	ft->lvls = xcalloc(ft->cap, sizeof(*ft->lvls));
	ft->idx = xcalloc(ft->cap, sizeof(*ft->idx));
	return ft;
}

static size_t frames_hash(uint64_t pc1, int lvl, size_t cap)
{
	return (size_t)((pc1 + (uint64_t)lvl * 0x100000001b3ull) *
			0x9e3779b97f4a7c15ull) &
	       (cap - 1);
}

static int frames_index(struct wire_frames *ft, const struct api_frame *f)
{
	size_t h;

	if ((ft->n + 1) * 2 > ft->cap) {
		struct wire_frames old = *ft;

		ft->cap *= 2;
		ft->pcs = xcalloc(ft->cap, sizeof(*ft->pcs));
		ft->lvls = xcalloc(ft->cap, sizeof(*ft->lvls));
		ft->idx = xcalloc(ft->cap, sizeof(*ft->idx));
		for (size_t i = 0; i < old.cap; i++) {
			if (!old.pcs[i])
				continue;
			h = frames_hash(old.pcs[i], old.lvls[i], ft->cap);
			while (ft->pcs[h])
				h = (h + 1) & (ft->cap - 1);
			ft->pcs[h] = old.pcs[i];
			ft->lvls[h] = old.lvls[i];
			ft->idx[h] = old.idx[i];
		}
		free(old.pcs);
		free(old.lvls);
		free(old.idx);
	}
	h = frames_hash(f->pc + 1, f->inlined, ft->cap);
	while (ft->pcs[h] &&
	       (ft->pcs[h] != f->pc + 1 || ft->lvls[h] != f->inlined))
		h = (h + 1) & (ft->cap - 1);
	if (!ft->pcs[h]) {
		ft->pcs[h] = f->pc + 1;
		ft->lvls[h] = f->inlined;
		ft->idx[h] = (int)ft->n++;
		json_object_array_add(ft->arr, wire_frame_to_json(f));
	}
	return ft->idx[h];
}

static struct json_object *wire_frames_take(struct wire_frames *ft)
{
	struct json_object *arr = ft->arr;

	free(ft->pcs);
	free(ft->lvls);
	free(ft->idx);
	free(ft);
	return arr;
}

struct json_object *
wire_tracepoint_result_to_json(const struct api_tracepoint_result *r)
{
	return wire_tracepoint_result_to_json_ft(r, NULL);
}

static struct json_object *
wire_tracepoint_result_to_json_ft(const struct api_tracepoint_result *r,
				  struct wire_frames *ft)
{
	struct json_object *o = json_object_new_object();

	add_u64(o, "addr", r->addr);
	add_str(o, "file", r->file);
	add_int(o, "line", r->line);
	add_bool(o, "is_ret", r->is_ret);
	if (r->function_name && *r->function_name)
		add_str(o, "functionName", r->function_name);
	add_int(o, "goroutineID", r->goroutine_id);
	wire_add_values(o, "inputParams", r->input_params, r->ninput);
	wire_add_values(o, "returnParams", r->return_params, r->nreturn);
	add_int(o, "threadID", r->thread_id);
	add_u64(o, "timeNs", r->time_ns);
	if (r->depth)
		add_int(o, "tinydbgDepth", r->depth);
	if (r->has_results && !r->is_ret)
		add_bool(o, "tinydbgHasResults", true);
	if (r->stack_truncated)
		add_bool(o, "tinydbgStackTruncated", true);
	if (r->is_syscall)
		add_bool(o, "tinydbgSyscall", true);
	if (r->signal)
		add_str(o, "tinydbgSignal", r->signal);
	if (r->handler)
		add_str(o, "tinydbgHandler", r->handler);
	if (r->note)
		add_str(o, "tinydbgNote", r->note);
	if (r->nstack) {
		struct json_object *st = json_object_new_array_ext((int)r->nstack);

		for (size_t i = 0; i < r->nstack; i++)
			json_object_array_add(st, ft ? json_object_new_int(
						       frames_index(ft, &r->stack[i]))
						     : wire_frame_to_json(&r->stack[i]));
		add(o, ft ? "tinydbgStack" : "stacktrace", st);
	}
	return o;
}

static void wire_result_undo(struct api_tracepoint_result *r)
{
	for (size_t i = 0; i < r->ninput; i++)
		wire_value_undo(&r->input_params[i]);
	for (size_t i = 0; i < r->nreturn; i++)
		wire_value_undo(&r->return_params[i]);
	r->ninput = r->nreturn = 0;
	api_tracepoint_result_release(r);
}

int wire_tracepoint_result_from_json(struct json_object *o,
				     struct api_tracepoint_result *r,
				     struct errbuf *eb)
{
	return wire_tracepoint_result_from_json_ft(o, r, NULL, 0, eb);
}

static int wire_frames_from_json(struct json_object *arr, struct api_frame **out,
			  size_t *n, struct errbuf *eb)
{
	size_t len = json_object_is_type(arr, json_type_array)
			     ? json_object_array_length(arr) : 0;
	int err;

	*out = len ? xcalloc(len, sizeof(**out)) : NULL;
	*n = 0;
	for (size_t i = 0; i < len; i++) {
		err = wire_frame_from_json(json_object_array_get_idx(arr, i),
					   &(*out)[i], eb);
		if (err) {
			while (i--)
				api_frame_release(&(*out)[i]);
			free(*out);
			*out = NULL;
			return errbuf_prefix(eb, err, "tinydbgFrames[%zu]", i);
		}
	}
	*n = len;
	return 0;
}

static void frame_copy(struct api_frame *dst, const struct api_frame *src)
{
	dst->pc = src->pc;
	dst->function = src->function ? xstrdup(src->function) : NULL;
	dst->file = src->file ? xstrdup(src->file) : NULL;
	dst->line = src->line;
	dst->inlined = src->inlined;
}

static int wire_tracepoint_result_from_json_ft(struct json_object *o,
					struct api_tracepoint_result *r,
					const struct api_frame *frames,
					size_t nframes, struct errbuf *eb)
{
	struct json_object *arr = NULL, *ids = NULL;
	int err;

	memset(r, 0, sizeof(*r));
	if ((err = wire_get_u64(o, "addr", &r->addr, eb)) ||
	    (err = wire_get_str(o, "file", &r->file, eb)) ||
	    (err = wire_get_int(o, "line", &r->line, eb)) ||
	    (err = wire_get_bool(o, "is_ret", &r->is_ret, eb)) ||
	    (err = wire_get_str(o, "functionName", &r->function_name, eb)) ||
	    (err = wire_get_i64(o, "goroutineID", &r->goroutine_id, eb)) ||
	    (err = wire_get_int(o, "threadID", &r->thread_id, eb)) ||
	    (err = wire_get_u64(o, "timeNs", &r->time_ns, eb)) ||
	    (err = wire_get_int(o, "tinydbgDepth", &r->depth, eb)) ||
	    (err = wire_get_bool(o, "tinydbgHasResults", &r->has_results,
				 eb)) ||
	    (err = wire_get_bool(o, "tinydbgStackTruncated",
				 &r->stack_truncated, eb)) ||
	    (err = wire_get_bool(o, "tinydbgSyscall", &r->is_syscall, eb)) ||
	    (err = wire_get_str(o, "tinydbgSignal", &r->signal, eb)) ||
	    (err = wire_get_str(o, "tinydbgHandler", &r->handler, eb)) ||
	    (err = wire_get_str(o, "tinydbgNote", &r->note, eb)) ||
	    (err = wire_values_from_json(o, "inputParams", &r->input_params,
					 &r->ninput, eb)) ||
	    (err = wire_values_from_json(o, "returnParams", &r->return_params,
					 &r->nreturn, eb)) ||
	    (err = wire_get_arr(o, "stacktrace", &arr, "[]Stackframe", eb)) < 0)
		goto fail;
	if ((err = wire_get_arr(o, "tinydbgStack", &ids, "[]int", eb)) < 0)
		goto fail;
	if (ids) {
		size_t n = json_object_array_length(ids);

		r->stack = n ? xcalloc(n, sizeof(*r->stack)) : NULL;
		for (size_t i = 0; i < n; i++) {
			int64_t k = json_object_get_int64(
				json_object_array_get_idx(ids, i));

			if (k < 0 || (size_t)k >= nframes) {
				err = errbuf_set(eb, -EPROTO, "tinydbgStack[%zu]: "
						 "no frame %lld", i,
						 (long long)k);
				goto fail;
			}
			frame_copy(&r->stack[i], &frames[k]);
			r->nstack = i + 1;
		}
	} else if (arr) {
		size_t n = json_object_array_length(arr);

		r->stack = n ? xcalloc(n, sizeof(*r->stack)) : NULL;
		for (size_t i = 0; i < n; i++) {
			err = wire_frame_from_json(json_object_array_get_idx(arr, i),
						   &r->stack[i], eb);
			if (err) {
				errbuf_prefix(eb, err, "stacktrace[%zu]", i);
				goto fail;
			}
			r->nstack = i + 1;
		}
	}
	return 0;
fail:
	wire_result_undo(r);
	return err;
}

/* ---- api.DebuggerState ---- */

struct json_object *wire_state_to_json(const struct api_state *st)
{
	struct json_object *o = json_object_new_object();

	add_int(o, "Pid", st->pid);
	add_bool(o, "Running", st->running);
	add_bool(o, "Recording", false);
	add_bool(o, "CoreDumping", false);
	add(o, "Threads", NULL);
	add_bool(o, "NextInProgress", false);
	add(o, "WatchOutOfScope", NULL);
	add_bool(o, "exited", st->exited);
	add_int(o, "exitStatus", st->exit_status);
	add_str(o, "When", "");
	add_int(o, "exitSignal", st->exit_signal);
	add_bool(o, "NoDebugInfo", st->no_debug_info);
	return o;
}

int wire_state_from_json(struct json_object *o, struct api_state *st,
			 struct errbuf *eb)
{
	int err;

	memset(st, 0, sizeof(*st));
	if ((err = wire_get_int(o, "Pid", &st->pid, eb)) ||
	    (err = wire_get_bool(o, "Running", &st->running, eb)) ||
	    (err = wire_get_bool(o, "exited", &st->exited, eb)) ||
	    (err = wire_get_int(o, "exitStatus", &st->exit_status, eb)) ||
	    (err = wire_get_int(o, "exitSignal", &st->exit_signal, eb)) ||
	    (err = wire_get_bool(o, "NoDebugInfo", &st->no_debug_info, eb))) {
		memset(st, 0, sizeof(*st));
		return err;
	}
	return 0;
}

/* ---- GetBufferedTracepoints' answer ---- */

struct json_object *wire_tracepoints_to_json(
	const struct api_tracepoint_result *evs, size_t n, uint64_t lost,
	bool frame_table)
{
	struct json_object *o = json_object_new_object();
	struct json_object *arr = json_object_new_array_ext((int)n);
	struct wire_frames *ft = frame_table ? wire_frames_new() : NULL;

	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, wire_tracepoint_result_to_json_ft(
						   &evs[i], ft));
	add(o, "TracepointResults", arr);
	if (ft)
		add(o, "tinydbgFrames", wire_frames_take(ft));
	add_u64(o, "Lost", lost);
	return o;
}

void wire_add_forked(struct json_object *o, const int *pids, size_t n)
{
	struct json_object *arr;

	if (!n)
		return;
	arr = json_object_new_array_ext((int)n);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_int(pids[i]));
	add(o, "tinydbgForked", arr);
}

int wire_get_forked(struct json_object *o, int **pids, size_t *n,
		    struct errbuf *eb)
{
	struct json_object *arr = NULL;
	size_t len;
	int err;

	*pids = NULL;
	*n = 0;
	if ((err = wire_get_arr(o, "tinydbgForked", &arr, "[]int", eb)) < 0)
		return err;
	if (!arr)
		return 0;
	len = json_object_array_length(arr);
	if (!len)
		return 0;
	*pids = xcalloc(len, sizeof(**pids));
	for (size_t i = 0; i < len; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		int64_t x;

		if (!json_object_is_type(v, json_type_int) ||
		    (x = json_object_get_int64(v)) <= 0 || x > INT32_MAX) {
			free(*pids);
			*pids = NULL;
			return errbuf_set(eb, -EINVAL, "tinydbgForked: not a "
					  "list of pids");
		}
		(*pids)[i] = (int)x;
	}
	*n = len;
	return 0;
}

int wire_tracepoints_from_json(struct json_object *o,
			       struct api_tracepoint_result **out, size_t *n,
			       uint64_t *lost, struct errbuf *eb)
{
	struct json_object *arr = NULL, *ftab = NULL;
	struct api_tracepoint_result *rs = NULL;
	struct api_frame *frames = NULL;
	size_t len = 0, i, nframes = 0;
	int err;

	*out = NULL;
	*n = 0;
	*lost = 0;
	if ((err = wire_get_u64(o, "Lost", lost, eb)) ||
	    (err = wire_get_arr(o, "TracepointResults", &arr,
				"[]TracepointResult", eb)) < 0 ||
	    (err = wire_get_arr(o, "tinydbgFrames", &ftab, "[]Stackframe",
				eb)) < 0)
		return err;
	if (!arr)
		return 0; /* none: Go sends null for an empty slice */
	if (ftab && (err = wire_frames_from_json(ftab, &frames, &nframes, eb)))
		return err;
	len = json_object_array_length(arr);
	rs = len ? xcalloc(len, sizeof(*rs)) : NULL;
	for (i = 0; i < len && !err; i++)
		err = wire_tracepoint_result_from_json_ft(
			json_object_array_get_idx(arr, i), &rs[i], frames,
			nframes, eb);
	if (err) {
		/* The failed one undid itself; the ones before it stand. */
		for (i--; i-- > 0;)
			api_tracepoint_result_release(&rs[i]);
		free(rs);
		rs = NULL;
		len = 0;
	}
	for (size_t k = 0; k < nframes; k++)
		api_frame_release(&frames[k]);
	free(frames);
	*out = rs;
	*n = len;
	return err;
}

void wire_add_handoff(struct json_object *o, uint64_t seq)
{
	add_u64(o, "tinydbgHandoff", seq);
}

int wire_get_handoff(struct json_object *o, uint64_t *seq, struct errbuf *eb)
{
	*seq = 0;
	return wire_get_u64(o, "tinydbgHandoff", seq, eb);
}

/* NULL → "" (wire_str), and back: "" → NULL where the decoder drops it. */
static void as_sent_str(char **s)
{
	if (!*s)
		*s = xstrdup("");
}

static void as_sent_drop_empty(char **s)
{
	if (*s && !**s) {
		free(*s);
		*s = NULL;
	}
}

static void wire_value_as_sent(struct value *v)
{
	as_sent_str(&v->name);
	as_sent_str(&v->type);
	if ((int)v->kind < VK_INVALID || (int)v->kind > VK_UNSAFEPTR)
		v->kind = VK_INVALID;
	if (v->kind != VK_STRING)
		as_sent_drop_empty(&v->value);
	as_sent_drop_empty(&v->unreadable);
	for (size_t i = 0; i < v->nchildren; i++)
		wire_value_as_sent(&v->children[i]);
}

void wire_tracepoint_result_as_sent(struct api_tracepoint_result *r)
{
	as_sent_str(&r->file);
	as_sent_drop_empty(&r->function_name);
	if (r->is_ret)
		r->has_results = false;
	for (size_t i = 0; i < r->ninput; i++)
		wire_value_as_sent(&r->input_params[i]);
	for (size_t i = 0; i < r->nreturn; i++)
		wire_value_as_sent(&r->return_params[i]);
	for (size_t i = 0; i < r->nstack; i++)
		as_sent_str(&r->stack[i].file);
}

/* ---- Delve's per-hit state ---- */

size_t wire_state_hits_from_json(struct json_object *state,
				 struct api_tracepoint_result **out,
				 struct errbuf *eb)
{
	struct json_object *threads = NULL;
	size_t len, n = 0;
	struct timespec ts;

	*out = NULL;
	json_object_object_get_ex(state, "Threads", &threads);
	if (!json_object_is_type(threads, json_type_array))
		return 0;
	len = json_object_array_length(threads);
	clock_gettime(CLOCK_REALTIME, &ts);
	*out = len ? xcalloc(len, sizeof(**out)) : NULL;
	for (size_t i = 0; i < len; i++) {
		struct json_object *t = json_object_array_get_idx(threads, i);
		struct json_object *bp = NULL, *info = NULL, *fn = NULL;
		struct api_tracepoint_result *r = &(*out)[n];
		int64_t gid = 0;
		bool is_ret = false;

		if (!json_object_object_get_ex(t, "breakPoint", &bp) || !bp)
			continue;
		memset(r, 0, sizeof(*r));
		wire_get_bool(bp, "traceReturn", &is_ret, NULL);
		wire_get_str(bp, "functionName", &r->function_name, NULL);
		if (json_object_object_get_ex(t, "function", &fn) && fn &&
		    !r->function_name)
			wire_get_str(fn, "name", &r->function_name, NULL);
		wire_get_u64(t, "pc", &r->addr, NULL);
		wire_get_str(t, "file", &r->file, NULL);
		wire_get_int(t, "line", &r->line, NULL);
		wire_get_int(t, "id", &r->thread_id, NULL);
		wire_get_i64(t, "goroutineID", &gid, NULL);
		/* Delve's servers trace Go: a goroutine of 0 is a thread
		 * outside any (C code, the runtime's start). */
		r->goroutine_id = gid > 0 ? gid : -1;
		r->is_ret = is_ret;
		r->time_ns = (uint64_t)ts.tv_sec * 1000000000u +
			     (uint64_t)ts.tv_nsec;
		json_object_object_get_ex(t, "breakPointInfo", &info);
		if ((!is_ret && info &&
		     wire_values_from_json(info, "arguments", &r->input_params,
					   &r->ninput, eb)) ||
		    (is_ret && wire_values_from_json(t, "ReturnValues",
						     &r->return_params,
						     &r->nreturn, eb))) {
			api_tracepoint_result_release(r);
			continue;
		}
		/* Delve's arguments include the results (VariableReturnArgument,
		 * 1<<4), which its trace client leaves out of an entry's line. */
		for (size_t k = 0; k < r->ninput;) {
			if (!(r->input_params[k].flags & (1u << 4))) {
				k++;
				continue;
			}
			r->has_results = true;
			value_release(&r->input_params[k]);
			memmove(&r->input_params[k], &r->input_params[k + 1],
				(r->ninput - k - 1) * sizeof(*r->input_params));
			r->ninput--;
		}
		n++;
	}
	if (!n) {
		free(*out);
		*out = NULL;
	}
	return n;
}
