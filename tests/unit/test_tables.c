/*
** tests/unit/test_tables.c: every slot of the tables indexed by an
** X-macro enum is filled. A new probe kind (frontend/probes.def) needs its
** descriptor in frontend/probes.c probe_kinds[] and runtime/attach.c
** attach_kinds[]; a designated initializer leaves a forgotten slot zero,
** which only a run would find. One check per table; prints
** "N passed, M failed".
*/
#include <stdio.h>
#include <string.h>
#include "runtime.h"

enum { T_NAMES, T_KINDS, T_ATTACH, T_BUILTINS, T_FUNCS, T__COUNT };
static const char *const TABLES[T__COUNT] = { "probe_type_names", "probe_kinds", "attach_kinds",
					      "builtin_names", "func_names" };
static bool bad[T__COUNT];

static void check(int table, int slot, const char *what, bool ok)
{
	if (ok)
		return;
	bad[table] = true;
	fprintf(stderr, "FAIL %s[%d]: %s\n", TABLES[table], slot, what);
}

int main(void)
{
	static const char *const aliases[PROBE__COUNT] = {
#define PROBE(id, name, alias) [id] = alias,
#include "probes.def"
#undef PROBE
	};
	for (int t = 0; t < PROBE__COUNT; t++) {
		const struct probe_kind *k = &probe_kinds[t];
		const struct attach_kind *a = &attach_kinds[t];
		check(T_NAMES, t, "name", probe_type_names[t] != NULL);
		check(T_KINDS, t, "name as probes.def", k->name && probe_type_names[t] &&
		      !strcmp(k->name, probe_type_names[t]));
		check(T_KINDS, t, "alias as probes.def", aliases[t] ? k->alias && !strcmp(k->alias, aliases[t])
								       : !k->alias);
		check(T_KINDS, t, "parse", k->parse != NULL);
		check(T_KINDS, t, "section", k->section != NULL);
		check(T_KINDS, t, "family of its own family", probe_kinds[k->family].family == k->family);
		check(T_KINDS, t, "optional: missing", !k->optional || k->missing);
		check(T_KINDS, t, "timed: example", !k->timed || k->example);
		check(T_ATTACH, t, "expand", a->expand != NULL);
		check(T_ATTACH, t, "list", a->list != NULL);
		check(T_ATTACH, t, "attach", a->attach != NULL);
	}
	for (int b = 0; b < BUILTIN__COUNT; b++)
		check(T_BUILTINS, b, "name", builtin_names[b] != NULL);
	for (int f = 0; f < FUNC__COUNT; f++)
		check(T_FUNCS, f, "name", func_names[f] != NULL);
	int nfail = 0;
	for (int i = 0; i < T__COUNT; i++)
		nfail += bad[i];
	printf("%d passed, %d failed\n", T__COUNT - nfail, nfail);
	return nfail != 0;
}
