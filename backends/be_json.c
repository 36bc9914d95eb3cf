/*
 * be_json.c - JSON encoding of records and decoding of views; see
 * be_json.h.  Every json_* constructor result is checked through the
 * set/append helpers below, which own the reference whatever happens.
 */
#include "be_json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

json_t *
be_json_num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *
int_or_null(int64_t v)
{
	return v < 0 ? json_null() : json_integer(v);
}

static json_t *
str_or_null(const char *s)
{
	return s == NULL || s[0] == '\0' ? json_null() : json_string(s);
}

/* json_object_set_new with error propagation into *ok. */
void
be_json_set(json_t *o, const char *k, json_t *v, int *ok)
{
	if (o == NULL || v == NULL || json_object_set_new(o, k, v) != 0) {
		*ok = 0;
		if (o == NULL)
			json_decref(v);
	}
}

void
be_json_append(json_t *a, json_t *v, int *ok)
{
	if (a == NULL || v == NULL || json_array_append_new(a, v) != 0) {
		*ok = 0;
		if (a == NULL)
			json_decref(v);
	}
}

json_t *
be_json_finish(json_t *o, int ok)
{
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
be_json_dtypes(uint32_t dtypes)
{
	static const struct {
		uint32_t	 flag;
		const char	*name;
	} names[] = {
		{ BE_DTYPE_FP32, "fp32" }, { BE_DTYPE_FP16, "fp16" },
		{ BE_DTYPE_FP64, "fp64" }, { BE_DTYPE_INT8, "int8" },
	};
	json_t	*a = json_array();
	size_t	 i;
	int	 ok = 1;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (dtypes & names[i].flag)
			be_json_append(a, json_string(names[i].name), &ok);
	return be_json_finish(a, ok);
}

json_t *
be_json_bench(const struct be_bench *b)
{
	json_t	*o = json_object();
	int	 ok = 1;

	be_json_set(o, "memory_bandwidth_bytes_per_s",
	    be_json_num(b->memory_bandwidth_bytes_per_s), &ok);
	be_json_set(o, "h2d_bandwidth_bytes_per_s",
	    be_json_num(b->h2d_bandwidth_bytes_per_s), &ok);
	be_json_set(o, "flops_per_s", be_json_num(b->flops_per_s), &ok);
	be_json_set(o, "elapsed_s", be_json_num(b->elapsed_s), &ok);
	return be_json_finish(o, ok);
}

static json_t *
telemetry_json(const struct be_telemetry *t)
{
	json_t	*o = json_object();
	int	 ok = 1;

	be_json_set(o, "source", str_or_null(t->source), &ok);
	be_json_set(o, "memory_used_bytes", be_json_num(t->memory_used_bytes), &ok);
	be_json_set(o, "memory_total_bytes", be_json_num(t->memory_total_bytes), &ok);
	be_json_set(o, "utilization_ratio", be_json_num(t->utilization_ratio), &ok);
	be_json_set(o, "temperature_celsius", be_json_num(t->temperature_celsius),
	    &ok);
	be_json_set(o, "power_watts", be_json_num(t->power_watts), &ok);
	be_json_set(o, "clock_graphics_hz", be_json_num(t->clock_graphics_mhz * 1e6),
	    &ok);
	be_json_set(o, "clock_memory_hz", be_json_num(t->clock_memory_mhz * 1e6), &ok);
	return be_json_finish(o, ok);
}

static json_t *
uuid_json(bool has, const uint8_t uuid[16])
{
	char	buf[40];

	if (!has)
		return json_null();
	be_uuid_format(uuid, buf, sizeof buf);
	return json_string(buf);
}

static json_t *
pci_json(const struct be_pci *pci)
{
	char	buf[32];

	if (!pci->valid)
		return json_null();
	be_pci_format(pci, buf, sizeof buf);
	return json_string(buf);
}

static const char *
verdict_name(enum be_verdict v)
{
	switch (v) {
	case BE_VERIFY_PASS:
		return "pass";
	case BE_VERIFY_FAIL:
		return "fail";
	case BE_VERIFY_NOT_RUN:
		break;
	}
	return "not_run";
}

json_t *
be_json_view(const struct be_view *v)
{
	json_t	*o = json_object();
	int	 ok = 1;

	be_json_set(o, "api", json_string(be_api_name(v->api)), &ok);
	be_json_set(o, "platform_index", json_integer(v->platform_index), &ok);
	be_json_set(o, "device_index", json_integer(v->device_index), &ok);
	be_json_set(o, "name", json_string(v->name), &ok);
	be_json_set(o, "vendor", json_string(v->vendor), &ok);
	be_json_set(o, "vendor_id", json_integer(v->vendor_id), &ok);
	be_json_set(o, "type", json_string(be_type_name(v->type)), &ok);
	be_json_set(o, "driver_name", json_string(v->driver_name), &ok);
	be_json_set(o, "driver_version", json_string(v->driver_version), &ok);
	be_json_set(o, "api_version", json_string(v->api_version), &ok);
	be_json_set(o, "uuid", uuid_json(v->has_uuid, v->uuid), &ok);
	be_json_set(o, "pci_bus_id", pci_json(&v->pci), &ok);
	be_json_set(o, "memory_total_bytes", json_integer((json_int_t)
	    v->memory_total_bytes), &ok);
	be_json_set(o, "memory_free_bytes", be_json_num(v->memory_free_bytes), &ok);
	be_json_set(o, "compute_units", int_or_null(v->compute_units), &ok);
	be_json_set(o, "clock_mhz", int_or_null(v->clock_mhz), &ok);
	be_json_set(o, "subgroup_size", int_or_null(v->subgroup_size), &ok);
	be_json_set(o, "dtypes", be_json_dtypes(v->dtypes), &ok);
	be_json_set(o, "verified", json_string(verdict_name(v->verified)), &ok);
	be_json_set(o, "verify_reason", str_or_null(v->verify_reason), &ok);
	be_json_set(o, "bench", v->has_bench ? be_json_bench(&v->bench) : json_null(),
	    &ok);
	return be_json_finish(o, ok);
}

static json_t *
verified_json(const struct be_device *d)
{
	json_t	*o = json_object();
	int	 i, ok = 1;

	for (i = 0; i < d->nviews; i++) {
		const char	*api = be_api_name(d->views[i].api);
		json_t		*prev = json_object_get(o, api);
		bool		 pass = d->views[i].verified == BE_VERIFY_PASS;

		/* Two ICDs for one API: verified only if both passed. */
		if (prev != NULL)
			pass = pass && json_is_true(prev);
		be_json_set(o, api, json_boolean(pass), &ok);
	}
	return be_json_finish(o, ok);
}

json_t *
be_json_apis(uint32_t apis)
{
	json_t	*a = json_array();
	int	 i, ok = 1;

	for (i = 0; i < BE_API_COUNT; i++)
		if (apis & (1u << i))
			be_json_append(a, json_string(be_api_name(1u << i)),
			    &ok);
	return be_json_finish(a, ok);
}

json_t *
be_json_device(const struct be_device *d)
{
	json_t	*o = json_object(), *views = json_array();
	int	 i, ok = 1;

	be_json_set(o, "id", json_string(d->id), &ok);
	be_json_set(o, "name", json_string(d->name), &ok);
	be_json_set(o, "vendor", json_string(d->vendor), &ok);
	be_json_set(o, "type", json_string(be_type_name(d->type)), &ok);
	be_json_set(o, "apis", be_json_apis(d->apis), &ok);
	be_json_set(o, "pci_bus_id", pci_json(&d->pci), &ok);
	be_json_set(o, "uuid", uuid_json(d->has_uuid, d->uuid), &ok);
	be_json_set(o, "memory_total_bytes", json_integer((json_int_t)
	    d->memory_total_bytes), &ok);
	be_json_set(o, "memory_free_bytes", be_json_num(d->memory_free_bytes), &ok);
	be_json_set(o, "compute_units", int_or_null(d->compute_units), &ok);
	be_json_set(o, "clock_mhz", int_or_null(d->clock_mhz), &ok);
	be_json_set(o, "dtypes", be_json_dtypes(d->dtypes), &ok);
	be_json_set(o, "verified", verified_json(d), &ok);
	be_json_set(o, "bench", d->has_bench ? be_json_bench(&d->bench) : json_null(),
	    &ok);
	be_json_set(o, "telemetry", telemetry_json(&d->telemetry), &ok);
	for (i = 0; i < d->nviews; i++)
		be_json_append(views, be_json_view(&d->views[i]), &ok);
	be_json_set(o, "views", views, &ok);
	return be_json_finish(o, ok);
}

static json_t *
battery_json(const struct be_battery *b)
{
	json_t	*o;
	int	 ok = 1;

	if (!b->present && b->ac_online < 0)
		return json_null();
	o = json_object();
	be_json_set(o, "present", json_boolean(b->present), &ok);
	be_json_set(o, "name", str_or_null(b->name), &ok);
	be_json_set(o, "status", str_or_null(b->status), &ok);
	be_json_set(o, "capacity_ratio", be_json_num(b->capacity_ratio), &ok);
	be_json_set(o, "energy_now_wh", be_json_num(b->energy_now_wh), &ok);
	be_json_set(o, "energy_full_wh", be_json_num(b->energy_full_wh), &ok);
	be_json_set(o, "power_watts", be_json_num(b->power_watts), &ok);
	be_json_set(o, "temperature_celsius", be_json_num(b->temperature_celsius),
	    &ok);
	be_json_set(o, "ac_online", b->ac_online < 0 ? json_null() :
	    json_boolean(b->ac_online), &ok);
	return be_json_finish(o, ok);
}

json_t *
be_json_node(const struct be_node *n)
{
	json_t	*o = json_object(), *zones = json_array();
	int	 i, ok = 1;

	be_json_set(o, "hostname", json_string(n->hostname), &ok);
	be_json_set(o, "cpu", json_string(n->cpu_model), &ok);
	be_json_set(o, "cpu_cores", int_or_null(n->cpu_cores), &ok);
	be_json_set(o, "cpu_threads", int_or_null(n->cpu_threads), &ok);
	be_json_set(o, "memory_total_bytes", be_json_num(n->memory_total_bytes), &ok);
	be_json_set(o, "memory_available_bytes", be_json_num(n->memory_available_bytes),
	    &ok);
	be_json_set(o, "battery", battery_json(&n->battery), &ok);
	for (i = 0; i < n->nzones && i < BE_MAX_ZONES; i++) {
		json_t *z = json_object();

		be_json_set(z, "type", json_string(n->zones[i].type), &ok);
		be_json_set(z, "temperature_celsius",
		    be_json_num(n->zones[i].temperature_celsius), &ok);
		be_json_append(zones, z, &ok);
	}
	be_json_set(o, "thermal_zones", zones, &ok);
	return be_json_finish(o, ok);
}

/* --- decoding (registry cache) --------------------------------------- */

struct dec {
	const json_t	*o;
	char		*err;
	size_t		 errlen;
	int		 bad;
};

static void
dec_fail(struct dec *d, const char *key, const char *what)
{
	if (!d->bad)
		(void)snprintf(d->err, d->errlen, "%s: %s", key, what);
	d->bad = 1;
}

static void
dec_str(struct dec *d, const char *key, char *out, size_t size)
{
	const json_t	*v = json_object_get(d->o, key);

	if (!json_is_string(v) || json_string_length(v) >= size)
		dec_fail(d, key, "expected a string that fits");
	else
		be_strlcpy(out, json_string_value(v), size);
}

static int64_t
dec_int(struct dec *d, const char *key, int64_t lo, int64_t hi, int nullable,
    int64_t if_null)
{
	const json_t	*v = json_object_get(d->o, key);

	if (nullable && json_is_null(v))
		return if_null;
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi) {
		dec_fail(d, key, "expected an integer in range");
		return lo;
	}
	return json_integer_value(v);
}

/* A finite non-negative number, or null (NAN). */
static double
dec_num(struct dec *d, const json_t *o, const char *key)
{
	const json_t	*v = json_object_get(o, key);

	if (json_is_null(v))
		return NAN;
	if (!json_is_number(v) || !isfinite(json_number_value(v)) ||
	    json_number_value(v) < 0) {
		dec_fail(d, key, "expected a non-negative number or null");
		return NAN;
	}
	return json_number_value(v);
}

static int
enum_index(const char *s, const char *const *names, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static int
dec_enum(struct dec *d, const char *key, const char *const *names, int n)
{
	const json_t	*v = json_object_get(d->o, key);
	int		 i;

	if (!json_is_string(v) ||
	    (i = enum_index(json_string_value(v), names, n)) < 0) {
		dec_fail(d, key, "unknown value");
		return 0;
	}
	return i;
}

static void
dec_uuid(struct dec *d, struct be_view *v)
{
	const json_t	*j = json_object_get(d->o, "uuid");
	const char	*s;
	unsigned	 byte;
	int		 i, k = 0;

	if (json_is_null(j))
		return;
	if (!json_is_string(j) || json_string_length(j) != 36) {
		dec_fail(d, "uuid", "expected a 36-character UUID");
		return;
	}
	s = json_string_value(j);
	for (i = 0; i < 36 && k < 16; ) {
		if (s[i] == '-') {
			i++;
			continue;
		}
		if (sscanf(s + i, "%2x", &byte) != 1) {
			dec_fail(d, "uuid", "bad hex");
			return;
		}
		v->uuid[k++] = (uint8_t)byte;
		i += 2;
	}
	v->has_uuid = k == 16;
	if (!v->has_uuid)
		dec_fail(d, "uuid", "too short");
}

static void
dec_dtypes(struct dec *d, struct be_view *v)
{
	static const char *const names[] = { "fp32", "fp16", "fp64", "int8" };
	const json_t	*a = json_object_get(d->o, "dtypes");
	size_t		 i;
	int		 k;

	if (!json_is_array(a) || json_array_size(a) > 16) {
		dec_fail(d, "dtypes", "expected a short array");
		return;
	}
	for (i = 0; i < json_array_size(a); i++) {
		const json_t *e = json_array_get(a, i);

		if (!json_is_string(e) ||
		    (k = enum_index(json_string_value(e), names, 4)) < 0) {
			dec_fail(d, "dtypes", "unknown dtype");
			return;
		}
		v->dtypes |= 1u << k;
	}
}

static void
dec_bench(struct dec *d, struct be_view *v)
{
	const json_t	*b = json_object_get(d->o, "bench");

	if (json_is_null(b))
		return;
	if (!json_is_object(b)) {
		dec_fail(d, "bench", "expected an object or null");
		return;
	}
	v->has_bench = true;
	v->bench.memory_bandwidth_bytes_per_s =
	    dec_num(d, b, "memory_bandwidth_bytes_per_s");
	v->bench.h2d_bandwidth_bytes_per_s =
	    dec_num(d, b, "h2d_bandwidth_bytes_per_s");
	v->bench.flops_per_s = dec_num(d, b, "flops_per_s");
	v->bench.elapsed_s = dec_num(d, b, "elapsed_s");
}

int
be_json_view_decode(const json_t *o, struct be_view *v, char *err,
    size_t errlen)
{
	static const char *const apis[] = { "vulkan", "opencl" };
	static const char *const types[] = { "other", "gpu", "integrated",
	    "cpu" };
	static const char *const verdicts[] = { "not_run", "pass", "fail" };
	struct dec	 d = { o, err, errlen, 0 };
	const json_t	*j;

	be_view_init(v);
	if (!json_is_object(o)) {
		(void)snprintf(err, errlen, "view: expected an object");
		return -1;
	}
	v->api = dec_enum(&d, "api", apis, 2) == 0 ? BE_API_VULKAN :
	    BE_API_OPENCL;
	v->platform_index = (uint32_t)dec_int(&d, "platform_index", 0, 1024,
	    0, 0);
	v->device_index = (uint32_t)dec_int(&d, "device_index", 0, 1024, 0, 0);
	dec_str(&d, "name", v->name, sizeof v->name);
	dec_str(&d, "vendor", v->vendor, sizeof v->vendor);
	v->vendor_id = (uint32_t)dec_int(&d, "vendor_id", 0, UINT32_MAX, 0, 0);
	v->type = (enum be_type)dec_enum(&d, "type", types, 4);
	dec_str(&d, "driver_name", v->driver_name, sizeof v->driver_name);
	dec_str(&d, "driver_version", v->driver_version,
	    sizeof v->driver_version);
	dec_str(&d, "api_version", v->api_version, sizeof v->api_version);
	dec_uuid(&d, v);
	j = json_object_get(o, "pci_bus_id");
	if (!json_is_null(j) && (!json_is_string(j) ||
	    be_pci_parse(json_string_value(j), &v->pci) != 0))
		dec_fail(&d, "pci_bus_id", "expected dddd:bb:dd.f or null");
	v->memory_total_bytes = (uint64_t)dec_int(&d, "memory_total_bytes", 0,
	    INT64_MAX, 0, 0);
	v->memory_free_bytes = dec_num(&d, o, "memory_free_bytes");
	v->compute_units = (int32_t)dec_int(&d, "compute_units", 0, 1 << 24,
	    1, -1);
	v->clock_mhz = (int32_t)dec_int(&d, "clock_mhz", 0, 1 << 24, 1, -1);
	v->subgroup_size = (int32_t)dec_int(&d, "subgroup_size", 0, 1 << 16,
	    1, -1);
	dec_dtypes(&d, v);
	v->verified = (enum be_verdict)dec_enum(&d, "verified", verdicts, 3);
	j = json_object_get(o, "verify_reason");
	if (!json_is_null(j))
		dec_str(&d, "verify_reason", v->verify_reason,
		    sizeof v->verify_reason);
	dec_bench(&d, v);
	return d.bad ? -1 : 0;
}
