/*
** codegen/cg_layout.c: the BPF layout of a user map, decided once.
**
** codegen declares each map with it and records it in `struct image`;
** the runtime prints maps by it and the unit tests create their maps
** with it, so all three agree on the bytes (runtime/output.h shows
** them). LLVM-free, so that tests/unit/run can link it alone.
*/
#include <stdio.h>
#include <string.h>
#include "codegen.h"

#define MAP_MAX_ENTRIES 4096 /* bpftrace's default BPFTRACE_MAP_KEYS_MAX */

/*
** Key: the key type's bytes, or a u64 0 for a map without a key; hist
** and lhist maps append a u64 bucket index, after the key padded to 8
** bytes (unkeyed: the bucket alone). Value: one CPU's slot of an
** aggregation (count/sum/hist/lhist: s64; min/max: {s64 v; u64 set};
** avg/stats: {s64 total; u64 count}), else the value type's bytes.
*/
void cg_map_layout(const struct mapinfo *m, uint32_t max_entries, struct image_map *l)
{
	memset(l, 0, sizeof(*l));
	int k = snprintf(l->bpf_name, sizeof(l->bpf_name), "m%d_", m->id);
	for (const char *c = m->name; *c && k < 40; c++)
		l->bpf_name[k++] = *c;
	l->bpf_name[k] = 0;
	l->name = m->name;
	l->id = m->id;
	l->key = m->key;
	l->val = m->val;
	l->kind = m->val->kind;
	l->percpu = m->percpu;
	l->type = m->percpu ? MT_PERCPU_HASH : MT_HASH;
	l->max_entries = max_entries ? max_entries : MAP_MAX_ENTRIES;
	bool bucket = l->kind == TY_HIST || l->kind == TY_LHIST;
	if (bucket)
		l->key_size = (m->key ? (m->key->size + 7) / 8 * 8 : 0) + 8;
	else
		l->key_size = m->key ? m->key->size : 8;
	switch (l->kind) {
	case TY_COUNT: case TY_SUM: case TY_HIST: case TY_LHIST:
		l->value_size = 8;
		break;
	case TY_MIN: case TY_MAX: case TY_AVG: case TY_STATS:
		l->value_size = 16;
		break;
	default:
		l->value_size = m->val->size ? m->val->size : 8;
		break;
	}
}
