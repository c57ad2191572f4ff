/*
** frontend/arena.c: bump allocator for everything a compile makes.
** Nodes, types, strings and tables share the lifetime of one run, so they
** are never freed one by one; main frees the arena once (Lua's and
** bpftrace's arenas do the same for AST nodes).
*/
#include <stdlib.h>
#include <string.h>
#include "ast.h"

struct chunk {
	struct chunk *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

struct arena {
	struct chunk *head;
};

struct arena *arena_new(void)
{
	struct arena *a = calloc(1, sizeof(*a));
	if (!a)
		abort();
	return a;
}

void arena_free(struct arena *a)
{
	if (!a)
		return;
	for (struct chunk *c = a->head, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	free(a);
}

void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct chunk *c = a->head;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > 64 * 1024 ? n : 64 * 1024;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			abort();
		c->used = 0;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

void arena_vec_push(struct arena *a, void ***v, int *n, int *cap, void *x)
{
	if (*n == *cap) {
		int ncap = *cap ? *cap * 2 : 8;
		void **nv = arena_alloc(a, sizeof(void *) * (size_t)ncap);
		if (*n)
			memcpy(nv, *v, sizeof(void *) * (size_t)*n);
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = x;
}

void *vec_reserve(void *v, int n, int *cap, size_t elem)
{
	if (n < *cap)
		return v;
	int ncap = *cap ? *cap * 2 : 8;
	while (ncap <= n)
		ncap *= 2;
	void *nv = realloc(v, elem * (size_t)ncap);
	if (!nv)
		abort();
	*cap = ncap;
	return nv;
}
