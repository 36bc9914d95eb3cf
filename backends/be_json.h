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

#endif /* BE_JSON_H */
