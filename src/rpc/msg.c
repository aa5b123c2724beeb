#include "rpc/msg.h"

#include <errno.h>
#include <string.h>

struct json_object *msg_request_new(const char *method, uint64_t id,
				    struct json_object *params)
{
	struct json_object *o = json_object_new_object();
	struct json_object *arr = json_object_new_array_ext(1);

	json_object_array_add(arr, params ? params : json_object_new_object());
	json_object_object_add(o, "method", json_object_new_string(method));
	json_object_object_add(o, "params", arr);
	json_object_object_add(o, "id", json_object_new_uint64(id));
	return o;
}

int msg_request_parse(struct json_object *o, struct msg_request *req,
		      struct errbuf *eb)
{
	struct json_object *m, *p;

	memset(req, 0, sizeof(*req));
	req->code = MSG_INVALID_REQUEST;
	if (!json_object_is_type(o, json_type_object))
		return errbuf_set(eb, -EINVAL, "rpc: request is not an object");
	if (json_object_object_get_ex(o, "jsonrpc", &m) &&
	    json_object_is_type(m, json_type_string) &&
	    !strcmp(json_object_get_string(m), "2.0"))
		req->v2 = true;
	if (json_object_object_get_ex(o, "id", &req->id))
		req->has_id = true;
	if (!json_object_object_get_ex(o, "method", &m) ||
	    !json_object_is_type(m, json_type_string))
		return errbuf_set(eb, -EINVAL,
				  "rpc: request has no method name");
	req->method = json_object_get_string(m);
	/* Go's codec decodes params as a one-element array; none, [] and
	 * [null] all leave the arguments at their zero values. */
	if (!json_object_object_get_ex(o, "params", &p) || !p)
		return 0;
	req->code = MSG_INVALID_PARAMS;
	/* 2.0 allows params by name: the object itself. */
	if (req->v2 && json_object_is_type(p, json_type_object)) {
		req->params = p;
		return 0;
	}
	if (!json_object_is_type(p, json_type_array))
		return errbuf_set(eb, -EINVAL,
				  "rpc: params must be an array of one object");
	if (json_object_array_length(p) == 0)
		return 0;
	p = json_object_array_get_idx(p, 0);
	if (p && !json_object_is_type(p, json_type_object))
		return errbuf_set(eb, -EINVAL,
				  "rpc: params must be an array of one object");
	req->params = p;
	return 0;
}

static struct json_object *msg_answer(struct json_object *id,
				      struct json_object *result,
				      struct json_object *error)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_get(id));
	json_object_object_add(o, "result", result);
	json_object_object_add(o, "error", error);
	return o;
}

struct json_object *msg_result_new(struct json_object *id,
				   struct json_object *result)
{
	return msg_answer(id, result ? result : json_object_new_object(), NULL);
}

struct json_object *msg_error_new(struct json_object *id, const char *message)
{
	return msg_answer(id, NULL, json_object_new_string(message));
}

struct json_object *msg_result_new2(struct json_object *id,
				    struct json_object *result)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(o, "id", json_object_get(id));
	json_object_object_add(o, "result",
			       result ? result : json_object_new_object());
	return o;
}

struct json_object *msg_error_new2(struct json_object *id, int code,
				   const char *message)
{
	struct json_object *o = json_object_new_object();
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_int(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(o, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(o, "id", json_object_get(id));
	json_object_object_add(o, "error", e);
	return o;
}

int msg_response_parse(struct json_object *o, struct msg_response *resp,
		       struct errbuf *eb)
{
	struct json_object *id, *e;

	memset(resp, 0, sizeof(*resp));
	if (!json_object_is_type(o, json_type_object))
		return errbuf_set(eb, -EPROTO, "rpc: answer is not an object");
	if (json_object_object_get_ex(o, "id", &id) && !id &&
	    json_object_object_get_ex(o, "error", &e) &&
	    json_object_is_type(e, json_type_string)) {
		resp->null_id = true;
		resp->error = json_object_get_string(e);
		return 0;
	}
	if (!json_object_object_get_ex(o, "id", &id) ||
	    !json_object_is_type(id, json_type_int) ||
	    json_object_get_int64(id) < 0)
		return errbuf_set(eb, -EPROTO, "rpc: answer without a valid id");
	resp->id = json_object_get_uint64(id);
	json_object_object_get_ex(o, "result", &resp->result);
	if (json_object_object_get_ex(o, "error", &e) && e) {
		/* Go's client takes any non-null error as a failure; a
		 * non-string one has no text to show, so describe it. */
		struct json_object *m;

		if (json_object_is_type(e, json_type_string))
			resp->error = json_object_get_string(e);
		else if (json_object_is_type(e, json_type_object) &&
			 json_object_object_get_ex(e, "message", &m) &&
			 json_object_is_type(m, json_type_string))
			resp->error = json_object_get_string(m);
		else
			resp->error = "rpc: invalid error in answer";
		if (!*resp->error)
			resp->error = "rpc: empty error in answer";
	}
	return 0;
}
