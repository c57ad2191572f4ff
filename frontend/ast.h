/*
** frontend/ast.h: the one public header of the front end.
**
** Sections follow the files that own them (chibicc style): arena.c,
** diag.c, pp.c, kernel.c, lexer.l/parser.y, ast.c, types.c, fmtparse.c,
** sema.c, probes.c.
** What crosses the frontend -> codegen boundary is `struct program`,
** typed and read-only after sema_check().
*/
#ifndef MINIBT_AST_H
#define MINIBT_AST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct btf;

/* a parameter a function must take (its table's signature) but does not use */
#define UNUSED __attribute__((unused))

/* ---------------------------------------------------------------- arena.c */
/* All compile-time data lives in one arena, freed at once by main. */
struct arena;
struct arena *arena_new(void);
void arena_free(struct arena *a);
void *arena_alloc(struct arena *a, size_t n); /* zeroed, 16-aligned */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* growable array of pointers */
void arena_vec_push(struct arena *a, void ***v, int *n, int *cap, void *x);
/* heap growable arrays: room for element n of v (elem bytes each), doubling
 * *cap as needed; aborts when memory runs out. Usage:
 *     v = vec_reserve(v, n, &cap, sizeof(*v)); v[n++] = x; */
void *vec_reserve(void *v, int n, int *cap, size_t elem);

/* ----------------------------------------------------------------- diag.c */
struct loc {
	int line, col;         /* 1-based, first character */
	int end_line, end_col; /* last character + 1 on end_line */
};

struct source {
	const char *name; /* "stdin" for -e, the path otherwise */
	const char *text; /* as given by the user (for carets) */
	size_t len;
	int *line_start; /* offsets of each line's first byte */
	int nlines;
};

enum diag_level { DIAG_ERROR, DIAG_WARNING };

struct diag {
	enum diag_level level;
	bool has_loc;
	struct loc loc;
	char *msg;
	char *hint; /* "what to do instead", may be NULL */
};

struct diags {
	const struct source *src;
	struct diag *v;
	int n, cap;
	int nerrors;
};

void source_init(struct source *s, const char *name, const char *text, size_t len);
void source_fini(struct source *s);
void diag_error(struct diags *d, const struct loc *loc, const char *hint,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void diag_warn(struct diags *d, const struct loc *loc, const char *hint,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void diag_verror(struct diags *d, enum diag_level lvl, const struct loc *loc,
		 const char *hint, const char *fmt, va_list ap);
/* one diagnostic printed to stderr at once (src and loc may be NULL): the
 * runtime's errors, which happen one at a time while tracing */
void diag_now(enum diag_level lvl, const struct source *src, const struct loc *loc,
	      const char *hint, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* print all, errors first, bpftrace style; returns number of errors */
int diag_print(const struct diags *d, FILE *out);
void diag_fini(struct diags *d);
/* Levenshtein-based suggestion among candidates; NULL if none close */
const char *diag_suggest(const char *name, const char *const *cands, int n);

/* ------------------------------------------------------------------- pp.c */
struct macro {
	char *name;
	char *body;
	struct loc loc;
};

struct pp_result {
	char *text; /* same lines as the input; directives and skipped lines blanked */
	size_t len;
	struct macro *macros;
	int nmacros, capmacros;
};

/* have_btf: define BPFTRACE_HAVE_BTF. Errors go to d. */
int pp_run(const struct source *src, bool have_btf, struct pp_result *out,
	   struct diags *d);
void pp_free(struct pp_result *r);

/* --------------------------------------------------------------- kernel.c */
/* Facts about the running kernel, each read once on first need; the only
 * reader of /proc and /sys. A NULL kernel knows nothing (-1, NULL, false). */
struct kernel;
#define VMLINUX_BTF "/sys/kernel/btf/vmlinux" /* modules' BTF beside it */

struct ksym_hit {
	const char *name;
	uint64_t off;
	const char *module; /* NULL for vmlinux */
};

bool has_wildcard(const char *s); /* a glob: * ? [ */
struct kernel *kernel_open(void);
void kernel_close(struct kernel *k);
/* the mounted tracefs (mounted on first use when root may), or NULL */
const char *kernel_tracefs(struct kernel *k);
/* can this kernel make kprobes (tracefs has kprobe_events)? */
bool kernel_has_kprobes(struct kernel *k);
/* tracepoints matching CAT:NAME globs: "cat:name" strings (the kernel's)
 * in a malloc'd *out; their number, -1 without tracefs */
int kernel_tracepoints(struct kernel *k, const char *cat, const char *name, const char ***out);
/* a tracepoint's format file text, or NULL */
const char *kernel_tp_format(struct kernel *k, const char *cat, const char *name);
/* traceable functions matching pattern (NULL: all), sorted, unique, as
 * kernel_tracepoints; -1 when there is no list */
int kernel_funcs(struct kernel *k, const char *pattern, const char ***out);
/* which of the plain names funcs[0..n) are traceable; -1: no list */
int kernel_funcs_have(struct kernel *k, const char *const *funcs, int n, bool *found);
/* kallsyms: load the address -> symbol table (true: there is one), and
 * look an address up (the last symbol at or below it) */
bool kernel_ksyms(struct kernel *k);
bool kernel_ksym(struct kernel *k, uint64_t addr, struct ksym_hit *hit);
/* a symbol's address (any type); false if absent or hidden */
bool kernel_kaddr(struct kernel *k, const char *name, uint64_t *addr);
/* a text symbol's size: up to the next symbol at a higher address; false if unknown */
bool kernel_func_size(struct kernel *k, const char *name, uint64_t *size);
void kernel_forget_names(struct kernel *k);
/* a cgroup v2 directory's id (its kernfs file handle); NULL, or why not */
const char *kernel_cgroupid(const char *path, uint64_t *id);
/* cgroup_path(): "name:path[,name:path...]" of cgroup id in the mounted
 * hierarchies whose names match the glob filter (NULL: all) */
void kernel_cgroup_path(uint64_t id, const char *filter, FILE *out);
/* BTF files of loaded modules (split on vmlinux); their number */
int kernel_module_btf(struct kernel *k, const char *const **paths);

/* ---------------------------------------------------------------- uelf.c */
/* user binaries: the file a uprobe target names (a path; -p PID: in its
 * root), malloc'd, or NULL; function symbols matching a glob (NULL: all),
 * sorted, malloc'd, their number or -1; a code address as a file offset */
char *uelf_resolve(const char *target, pid_t pid);
int uelf_funcs(const char *path, const char *pattern, char ***out);
int64_t uelf_vaddr_to_offset(const char *path, uint64_t vaddr);
bool uelf_sym_addr(const char *path, const char *name, uint64_t *addr, uint64_t *size, bool *pie);
/* the DT_NEEDED library of path that defines func (libpthread -> libc), or NULL */
char *uelf_needed_with(const char *path, const char *func);
/* USDT probes (SystemTap notes) as "provider:name" matching globs (NULL:
 * any), sorted, malloc'd; their number or -1 */
int uelf_usdt(const char *path, const char *provider, const char *name, char ***out);
/* symbols at user addresses of processes (usym, ustack): files and
 * mappings read once a run */
struct usyms;
struct usyms *usyms_new(void);
void usyms_free(struct usyms *u);
bool usyms_resolve(struct usyms *u, pid_t pid, uint64_t addr, const char **name, uint64_t *off,
		   const char **module);

/* --------------------------------------------------------------- types.c */
enum ty_kind {
	TY_NONE = 0, /* not known yet */
	TY_VOID,
	TY_INT,    /* size 1,2,4,8; sign */
	TY_STR,    /* size = buffer bytes incl. NUL */
	TY_BUF,    /* raw bytes (e.g. u8[16] from a struct), printed via %r */
	TY_INET,   /* ntop(): struct { s64 af; u8 addr[16]; } = 24 bytes */
	TY_KSTACK, /* s64 stack id; nframes, mode; ustack: (pid << 32) | u32 stack id */
	TY_KSYM,   /* u64 kernel address, printed as symbol */
	TY_PROBE,  /* u64 probe index, printed as "kprobe:foo" */
	TY_PTR,    /* pointer to sub (kernel memory) */
	TY_RECORD, /* BTF struct/union: (btf, btf_id) */
	TY_ARRAY,  /* sub[nelem] */
	TY_TUPLE,  /* fields[] at offsets[] */
	TY_MACADDR,   /* macaddr(): 6 bytes, printed XX:XX:XX:XX:XX:XX */
	TY_TIMESTAMP, /* strftime(): u64 nsecs since boot; name = the format */
	TY_USERNAME,  /* username: u64 uid, printed as its /etc/passwd name */
	TY_STRERROR,  /* strerror(): u64 errno, printed as strerror(3)'s text */
	TY_CGROUP_PATH, /* cgroup_path(): u64 cgroup id; name = the filter glob; printed as name:path,... */
	TY_UFUNC,  /* func in a uprobe: u64 probe index, printed as the function its name ends with */
	TY_USYM,   /* usym(): u64 user address, u64 pid; printed as the symbol there */
	/* map value kinds produced by aggregation functions */
	TY_COUNT,
	TY_SUM,
	TY_MIN,
	TY_MAX,
	TY_AVG,
	TY_STATS,
	TY_HIST,
	TY_LHIST,
};

enum stack_mode { STACK_BPFTRACE, STACK_PERF, STACK_RAW };

struct type {
	enum ty_kind kind;
	uint32_t size;  /* bytes a value of this type takes in BPF memory */
	uint32_t align;
	bool sign;      /* TY_INT, TY_SUM/MIN/MAX/AVG/STATS of signed */
	bool ctx;       /* pointer into the probe context: args itself */
	/* an address in user memory: what is read through it (->, [], *, and
	 * through a cast of it) is read with bpf_probe_read_user. bpftrace
	 * 0.17 puts the arguments of syscalls:* tracepoints in the user
	 * address space; the flag is carried to what is read through them, so
	 * args->msg->msg_name is a user pointer too */
	bool user;
	bool data_loc;  /* a tracepoint __data_loc field: u32, (len << 16) | offset in the record */
	bool blen;      /* TY_BUF of buf(): byte 0 the length, then size - 1 bytes of data */
	const struct type *sub; /* TY_PTR, TY_ARRAY element */
	uint32_t nelem;         /* TY_ARRAY */
	/* TY_RECORD (and TY_PTR to record, via sub): */
	const struct btf *btf;
	uint32_t btf_id;
	const char *name; /* "struct sock", "int", ... for messages */
	/* TY_TUPLE, and TY_RECORD read from a tracefs format file (btf NULL) */
	int nfields;
	const struct type **fields;
	uint32_t *offsets;
	const char **fnames; /* tracefs record field names */
	/* TY_KSTACK */
	int nframes;
	enum stack_mode stack_mode;
	bool ustack; /* a user stack (BPF_F_USER_STACK) of the pid in the high 32 bits */
	/* TY_LHIST */
	int64_t lh_min, lh_max, lh_step;
	/* bitfield member read (set on the member expression's type copy) */
	uint8_t bit_off, bit_size;
	/* TY_INT read from a kernel enum (BTF, a tracepoint field, a cast to
	 * `enum NAME`): its constants; printf's %s prints the name */
	const struct enum_consts *enums;
};

struct enum_consts {
	const char *name; /* "enum skb_drop_reason", "enum (anon)" */
	int n;
	const char **names;
	const int64_t *vals;
};

struct btf_ctx; /* BTF loaded once, looked up lazily */

const struct type *ty_int(int size, bool sign);
const struct type *ty_void(void);
const struct type *ty_none(void);
const struct type *ty_str(struct arena *a, uint32_t size);
const struct type *ty_simple(enum ty_kind k); /* inet, ksym, probe, count, ... */
const struct type *ty_ptr(struct arena *a, const struct type *to);
const struct type *ty_array(struct arena *a, const struct type *el, uint32_t n);
/* t, or a copy of it marked as a user-space address (t->user) */
const struct type *ty_user(struct arena *a, const struct type *t);
const struct type *ty_kstack(struct arena *a, int nframes, enum stack_mode m, bool user);
const struct type *ty_tuple(struct arena *a, const struct type **f, int n);
const struct type *ty_agg(struct arena *a, enum ty_kind k, bool sign);
/* the C integer type a run of keywords names ("unsigned char", "long"), or NULL */
const struct type *ty_c_int(const char *const *w, int n);
bool ty_equal(const struct type *a, const struct type *b);
bool ty_is_agg(const struct type *t);
/* human name: "int64", "uint32", "string[16]", "struct sock *" ... */
const char *ty_name(struct arena *a, const struct type *t);

/* k: module BTF and tracepoint formats (NULL: neither) */
struct btf_ctx *btfc_open(struct arena *a, const char *path, struct kernel *k);
void btfc_close(struct btf_ctx *b);
/* "struct sock" / "union x" / "sock" (typedef) -> record type, or NULL */
const struct type *btfc_record(struct btf_ctx *b, const char *kw, const char *name);
/* member lookup in a record; returns its type, sets *off (bytes) and bitfield info */
const struct type *btfc_member(struct btf_ctx *b, const struct type *rec,
			       const char *field, uint32_t *off);
/* list member names (for "did you mean") */
int btfc_member_names(struct btf_ctx *b, const struct type *rec,
		      const char **out, int max);
/* enum constant by name */
bool btfc_enum_value(struct btf_ctx *b, const char *name, int64_t *val);
/* kfunc/kretfunc: a kernel function's arguments (a record of u64 slots,
 * fields named and typed from BTF), its return type and its module */
struct btf_func {
	const struct type *args;
	const struct type *ret;
	int nargs;
	int slots;          /* u64 context slots they take (the return value follows) */
	const char *module; /* "vmlinux" or the module's name */
};
/* module: a glob over module names ("vmlinux" too), NULL: any */
bool btfc_func(struct btf_ctx *b, const char *name, const char *module, struct btf_func *out,
	       char *err, size_t errlen);
/* the kernel's BPF iterators (struct bpf_iter__NAME) matching a glob */
int btfc_iters(struct btf_ctx *b, const char *pattern, const char ***out);
/* -lv: the function's arguments (and return type) as C declares them */
void btfc_func_decls(struct btf_ctx *b, const char *name, const char *module, bool ret, FILE *o);
/* the module whose BTF has function name (a glob over them, or NULL), or NULL */
const char *btfc_func_module(struct btf_ctx *b, const char *name, const char *module);
/* tracepoint record "args": a TY_RECORD describing the raw record */
const struct type *btfc_tracepoint(struct btf_ctx *b, const char *cat,
				   const char *name, char *err, size_t errlen);

/* ------------------------------------------------------------ fmtparse.c */
/* One format parser, used by sema to check and by runtime to render. */
enum fmt_conv {
	FC_LIT = 0, /* literal text only */
	FC_INT,     /* d (bpftrace 0.17 has no %i) */
	FC_UINT,    /* u */
	FC_OCT,     /* o */
	FC_HEX,     /* x */
	FC_HEXU,    /* X */
	FC_CHAR,    /* c */
	FC_STR,     /* s */
	FC_PTR,     /* p */
	FC_BUF,     /* r (hex-escaped buffer) */
};

struct fmt_piece {
	char *lit; /* literal text before the conversion: "%%" folded to "%";
		    * in the trailing FC_LIT piece kept raw, as bpftrace 0.17 */
	enum fmt_conv conv;
	char flags[6]; /* subset of "-0" (all bpftrace 0.17 accepts) */
	int width;     /* -1 none */
	int prec;      /* -1 none */
	char length[3]; /* "", "hh", "h", "l", "ll", "j", "z", "t" */
	bool rx;        /* FC_BUF: %rx, every byte as \xNN */
	bool rh;        /* FC_BUF: %rh, every byte as two hex digits, spaced */
	struct loc loc; /* line 0, col = 1 + byte offset in the format string */
};

struct fmt {
	struct fmt_piece *p;
	int n;     /* pieces; the last one may be FC_LIT (trailing text) */
	int nargs; /* conversions */
};

/* returns 0, or -1 with a message in err and the byte offset in *at */
int fmt_parse(struct arena *a, const char *s, size_t len, struct fmt *out,
	      char *err, size_t errlen, int *at);

/* ----------------------------------------------------- probes/builtins.def */
enum probe_type {
#define PROBE(id, name, alias) id,
#include "probes.def"
#undef PROBE
	PROBE__COUNT
};

enum builtin_id {
#define BUILTIN(id, name) id,
#include "builtins.def"
#undef BUILTIN
	BUILTIN__COUNT
};

enum func_id {
#define FUNC(id, name, minargs, maxargs) id,
#include "funcs.def"
#undef FUNC
	FUNC__COUNT
};

extern const char *const probe_type_names[PROBE__COUNT];
extern const char *const builtin_names[BUILTIN__COUNT];
extern const char *const func_names[FUNC__COUNT];

/* ------------------------------------------------------------- parser.y */
enum node_kind {
	/* expressions */
	N_INT,      /* ival */
	N_STR,      /* str, slen */
	N_BUILTIN,  /* builtin (argN: ival = N) */
	N_CALL,     /* func, args */
	N_VAR,      /* $name */
	N_MAP,      /* @name[args]; args NULL for plain */
	N_POSPARAM, /* $N (ival) or $# (ival = -1) */
	N_IDENT,    /* bare identifier: enum constant or macro leftover */
	N_BINOP,    /* op, lhs, rhs */
	N_UNOP,     /* op, lhs */
	N_TERNARY,  /* cond, lhs, rhs */
	N_FIELD,    /* lhs . name / lhs -> name (op = '.' or T_ARROW) */
	N_INDEX,    /* lhs [ rhs ] */
	N_CAST,     /* (ctype) lhs */
	N_TUPLE,    /* (a, b, ...) */
	/* statements */
	N_EXPRSTMT, /* lhs */
	N_ASSIGN,   /* lhs = rhs; op: '=' or compound operator token */
	N_INCDEC,   /* op = T_INC/T_DEC, lhs; ival = 1 if prefix */
	N_IF,       /* cond, then, els */
	N_UNROLL,   /* ival, then */
	N_WHILE,    /* cond, then */
	N_BREAK,
	N_CONTINUE,
	N_RETURN,
	N_BLOCK,    /* stmts */
};

/* binary/unary operator codes (subset of parser tokens, stable for dumps) */
enum op {
	OP_NONE = 0,
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
	OP_BAND, OP_BOR, OP_BXOR, OP_SHL, OP_SHR,
	OP_LAND, OP_LOR,
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
	OP_NOT, OP_BNOT, OP_NEG, OP_DEREF, OP_ADDR,
	OP_DOT, OP_ARROW,
	OP_INC, OP_DEC,
	OP_ASSIGN,
};
extern const char *const op_names[];

struct ctype { /* the type written in a cast */
	char *kw;   /* "struct", "union", "enum" or NULL for builtin names */
	char *name; /* "sock", "uint32", "int8", ... */
	int nptr;   /* number of '*' */
	struct loc loc;
};

struct mapinfo;
struct varinfo;

struct node {
	enum node_kind kind;
	struct loc loc;
	const struct type *ty; /* set by sema on every expression */
	enum op op;
	struct node *lhs, *rhs, *cond, *then, *els;
	struct node *args;  /* call args / map keys / tuple elems, via next */
	int nargs;
	struct node *stmts; /* N_BLOCK, via next */
	struct node *next;
	char *name;         /* var, map (without '@'), field, ident, func name */
	int64_t ival;
	bool uns;           /* N_INT: unsigned (a folded sizeof/kaddr), kept when typed again */
	char *str;
	size_t slen;
	struct ctype *cast;
	struct loc name_loc; /* N_FIELD: the field name; N_CALL: the function name */
	/* filled by sema */
	enum builtin_id builtin;
	enum func_id func;
	struct mapinfo *map;
	struct varinfo *var;
	uint32_t field_off;     /* N_FIELD: byte offset; N_POSPARAM in str($N + K): K */
	int event;              /* N_CALL printf/time/...: index into prog->events */
	const struct type *key_ty; /* N_MAP: key type (tuple if several keys) */
	int64_t cval; bool is_const; /* folded constant */
};

enum presence { PRESENCE_UNKNOWN, PRESENCE_YES, PRESENCE_NO };

enum time_unit { UNIT_S, UNIT_MS, UNIT_US, UNIT_HZ }; /* interval/profile */

struct attach_point {
	enum probe_type type;
	char *raw;    /* as written */
	char *target; /* tracepoint category, interval unit, ... */
	char *func;   /* kprobe function or tracepoint name (may hold wildcards) */
	int64_t freq; /* interval/profile count */
	enum time_unit unit; /* interval/profile: of freq (target as written) */
	uint64_t period;     /* interval/profile: ns between events; 0 for hz */
	uint64_t offset;     /* kprobe:FUNC+OFFSET: bytes into the function */
	uint64_t address;    /* uprobe:PATH:0xADDR: a virtual address in the binary */
	uint64_t wp_addr;    /* watchpoint:ADDR:LEN:MODE */
	int wp_len;
	char wp_mode[4];     /* "r", "w", "rw", "x" */
	struct loc loc;
	/* expanded by sema (wildcards resolved at attach time by runtime) */
	bool optional; /* written with a trailing '?': skipped when missing */
	enum presence presence; /* sema: is it in this kernel (sema_opts.kernel) */
	const char *missing; /* sema: why this kernel lacks it (optional ones) */
	bool bad; /* sema: unknown or unsupported provider (body typed quietly) */
};

struct probe {
	struct attach_point *aps;
	int naps;
	struct node *pred; /* may be NULL */
	struct node *body; /* N_BLOCK */
	struct loc loc;
	int index;
	/* sema: */
	const struct type *args_ty; /* tracepoint args record; kfunc arguments */
	const struct type *retval_ty; /* kretfunc: the function's return type */
	uint32_t retval_off;          /* kretfunc: its offset in the context */
	int nvars;
	bool uses_probe_builtin;
};

/* ---------------------------------------------------------------- sema.c */
struct mapinfo {
	char *name;    /* without '@'; "" for the anonymous map */
	int id;        /* index in prog->maps */
	const struct type *key;   /* NULL: no key */
	const struct type *val;
	struct loc first; /* first use, for messages */
	bool percpu;
	bool has_key_use, has_nokey_use;
	struct loc key_use, nokey_use; /* first of each in the source (line 0: none) */
	bool assigned; /* some statement assigns it (maybe a value in error) */
};

struct varinfo {
	char *name;
	const struct type *ty;
	struct loc first;
	int slot; /* index among its probe's variables */
};

enum event_kind {
	EV_PRINTF,
	EV_TIME,
	EV_EXIT,
	EV_PRINT,  /* print(@map) */
	EV_CLEAR,  /* clear(@map) */
	EV_ZERO,   /* zero(@map) */
	EV_PRINTV, /* print(value) */
	EV_PRINTMAP, /* printmap(@map, fmt, top): one printf per element */
	EV_SYSTEM, /* system(fmt, ...): run the formatted command, print its output */
	EV_CAT,    /* cat(fmt, ...): print the formatted path's file */
	EV_JOIN,   /* join(argv[, delim]): JOIN_ARGS strings of JOIN_ARGSIZE bytes */
	EV_SKBOUTPUT, /* skboutput(file, skb, len, offset): packets into a pcap file
		       * (fmtstr), past top bytes; records come through a perf buffer */
};

/* join(): the strings it reads from an array of pointers, as bpftrace 0.17 */
#define JOIN_ARGS 16
#define JOIN_ARGSIZE 1024

/* An asynchronous action BPF asks user space to perform. */
struct event {
	enum event_kind kind;
	int id;
	struct fmt fmt;        /* printf, time */
	char *fmtstr;          /* time format for strftime, printf source */
	int nargs;
	const struct type **argty;
	uint32_t *argoff;      /* payload offsets of args */
	uint32_t size;         /* payload bytes after the 8-byte id */
	int map;               /* print/clear/zero/printmap */
	int64_t top, div;      /* print(@m, top, div), printmap(@m, fmt, top) */
	struct loc loc;
};

struct program {
	struct arena *arena;
	const struct source *src;
	struct probe **probes;
	int nprobes, capprobes;
	/* sema: */
	struct mapinfo **maps;
	int nmaps, capmaps;
	struct event **events;
	int nevents, capevents;
	int need_stackmap; /* max frames wanted, 0 none */
	bool need_ringbuf;
	int npos;          /* positional params given */
	char **pos;        /* their values */
	const char **getopt_names; /* names the script reads with getopt() */
	int ngetopt, capgetopt;
	struct btf_ctx *btf;
	/* probes whose optional attach points are all missing on this kernel:
	 * taken out of probes[] by sema (reasons in their aps[].missing), and
	 * probes whose predicate is always false */
	struct probe **skipped;
	int nskipped, capskipped;
	struct cdefs *cdefs; /* struct/union/enum definitions of the script (cdef.c) */
};

/* parser entry: parse pp output; errors into d. NULL on syntax error. */
struct program *parse_program(struct arena *a, const struct source *src,
			      const struct pp_result *pp, struct diags *d);

/* integer literal text (42, 1_000, 1e6, 0x2a, 052, 10ul) -> *out; NULL, or
 * an error message (maybe built in msg) with *hint saying what to write */
const char *lex_parse_int(const char *s, size_t n, uint64_t *out, const char **hint,
			  char *msg, size_t msglen);

/* deep copy of a node and its subtrees, not of its ->next (ast.c) */
struct node *ast_clone(struct arena *a, const struct node *n);

/* parse_program refuses trees deeper than this (ast.c): later stages recurse */
#define AST_MAX_DEPTH 400
bool ast_check_depth(const struct program *p, struct diags *d);

/* AST dump for `-d ast` */
void ast_dump(const struct program *p, FILE *out);

/* sema: type-check the whole program; 0 on success (errors into d) */
struct sema_opts {
	struct btf_ctx *btf;
	char **pos; /* positional parameters $1.. */
	int npos;
	char **named; /* named parameters: "name" or "name=value" (-x / --name) */
	int nnamed;
	/* the running kernel: are the script's kprobe functions and
	 * tracepoints there, kaddr(); NULL: assume they are there */
	struct kernel *kernel;
	bool unsafe; /* --unsafe: system() allowed */
	bool has_cmd;  /* -c CMD given: cpid has a value */
	uint32_t cpid; /* its pid (0 when not started: --dry-run, -d) */
	uint32_t strlen; /* BPFTRACE_STRLEN: bytes str() reads by default; 0: 64 */
};
int sema_check(struct program *p, const struct sema_opts *o, struct diags *d);

/* -------------------------------------------------------------- probes.c */
/* One descriptor per probe kind, indexed by enum probe_type (ply's
 * provider/): its names, attach-point grammar, how its wildcards expand,
 * what its builtins mean. The runtime's half (expand, list, attach) is
 * runtime/attach.c's attach_kinds[]; a unit test fails on a NULL slot. */
enum probe_expand {
	EXPAND_NONE,        /* one target: the attach point itself */
	EXPAND_FUNCS,       /* globs over the traceable kernel functions */
	EXPAND_TRACEPOINTS, /* globs over tracefs' CATEGORY:NAME */
	EXPAND_BTF_FUNCS,   /* globs over traceable functions with BTF: one program each */
	EXPAND_USER_FUNCS,  /* globs over a user binary's function symbols */
	EXPAND_USDT,        /* globs over a user binary's USDT probes (provider:name) */
};

struct ap_parse; /* probes.c: an attach point cut at its ':' */

/* a perf event of software:/hardware: (bpftrace 0.17's SW/HW_PROBE_LIST) */
struct perf_event_name {
	const char *name, *alias;
	uint64_t config;   /* PERF_COUNT_SW_... / PERF_COUNT_HW_... */
	uint64_t defaultp; /* the period when the probe gives no count */
};

struct probe_kind {
	const char *name, *alias;         /* as probes.def */
	const char *alias2;               /* a later bpftrace's name (fentry, fexit) */
	void (*parse)(struct ap_parse *); /* grammar: target, func, freq or errors */
	enum probe_expand expand;
	const char *section;   /* ELF section: libbpf's program type */
	enum probe_type family; /* kinds of one family may share a body */
	bool optional;         /* may end in '?' (missing on some kernels) */
	const char *missing;   /* why an optional one is left out */
	bool special;          /* BEGIN/END: run once by BPF_PROG_TEST_RUN */
	bool timed;            /* UNIT:N; `probe` names it so */
	const char *example;   /* timed: in hints */
	bool cookie;           /* a bpf_cookie per target names it for `probe` */
	bool func, retval, argn, args; /* builtins it gives meaning to */
	bool regs;             /* its context starts with struct pt_regs: reg() */
	bool sarg;             /* sargN: stack arguments above the entry's sp */
	int argslots;          /* argN are u64 slots of the context (raw tracepoints): how many */
	bool user;             /* argN, sargN, retval are user-space values (uprobes) */
	bool usdt;             /* argN from libbpf's USDT argument specs, probe from its cookie */
	bool iter;             /* a BPF iterator: run once over the kernel's objects, then the end */
	const char *ctx;       /* the struct its context points to: the ctx builtin */
	const char *const *banned; /* functions it refuses (NULL-terminated) */
	uint32_t perf_type;    /* software/hardware: PERF_TYPE_SOFTWARE/HARDWARE */
	const struct perf_event_name *events; /* ... and their events (name NULL ends) */
};
extern const struct probe_kind probe_kinds[PROBE__COUNT];
/* software/hardware: the event an attach point's target names, or NULL */
const struct perf_event_name *probe_perf_event(const struct attach_point *ap);
/* is func one that kind t refuses to attach to (it could lock up the machine) */
bool probe_banned(enum probe_type t, const char *func);

/* for sema_check: parse and check the attach points, split tracepoint
 * probes, skip the missing; -1 when nothing is left */
int probes_check(struct program *p, const struct sema_opts *o, struct diags *d);
void probes_skip_missing(struct program *p); /* aps[0].missing ones -> p->skipped */

#endif
