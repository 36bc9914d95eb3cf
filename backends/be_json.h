/*
 * be_json.h - device records as JSON (jansson).
 *
 * Encoders produce the `exogpu devices --json` contract (docs/devices.md):
 * base units, null for unknown.  Views also decode, because the registry
 * cache stores views; the decoder checks every field's type and range and
 * never trusts the file (a corrupt cache is rebuilt, not believed).
 */
#ifndef BE_JSON_H
#define BE_JSON_H

#include <jansson.h>

#include "be_device.h"

json_t	*be_json_node(const struct be_node *);
json_t	*be_json_device(const struct be_device *);
json_t	*be_json_view(const struct be_view *);
json_t	*be_json_bench(const struct be_bench *);
/* 0, or -1 with err naming the bad field. */
int	 be_json_view_decode(const json_t *, struct be_view *, char *, size_t);
/* Number or null. */
json_t	*be_json_num(double);
/* Flag sets as name arrays ("fp32", ...; "vulkan", ...). */
json_t	*be_json_dtypes(uint32_t);
json_t	*be_json_apis(uint32_t);
/*
 * Builders that carry failure: set/append take v over (freeing it when
 * they cannot use it) and clear *ok on any failure; finish returns v, or
 * frees it and returns NULL when anything failed.
 */
void	 be_json_set(json_t *o, const char *key, json_t *v, int *ok);
void	 be_json_append(json_t *a, json_t *v, int *ok);
json_t	*be_json_finish(json_t *v, int ok);

#endif /* BE_JSON_H */
