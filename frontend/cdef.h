/*
** frontend/cdef.h: struct/union/enum definitions written in a script
** (cdef.c). The parser adds each T_CDEF token's text; sema resolves them
** against the kernel's BTF, then looks types and enum constants up here
** before BTF.
*/
#ifndef MINIBT_CDEF_H
#define MINIBT_CDEF_H

#include "ast.h"

void cdef_add(struct program *p, struct diags *d, const char *text, const struct loc *start);
void cdef_resolve(struct program *p, struct btf_ctx *btf, struct diags *d);
/* "struct"/"union"/"enum" NAME defined by the script, or NULL */
const struct type *cdef_lookup(const struct program *p, const char *kw, const char *name);
bool cdef_enum_value(const struct program *p, const char *name, int64_t *val);

#endif
